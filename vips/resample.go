package vips

// resizeTo resizes im to exactly w×h with lanczos3, premultiplying alpha
// and working in linear light when IMGPROXY_USE_LINEAR_COLORSPACE is on.
func (p *Processor) resizeTo(im *image, w, h int) error {
	if im.width() == w && im.height() == h {
		return nil
	}
	linear := p.cfg.UseLinearColorspace && im.interp() == interpSRGB
	if linear {
		if err := im.colourspace(interpScRGB); err != nil {
			return err
		}
	}
	if err := resample(im, w, h, linear); err != nil {
		return err
	}
	if linear {
		if err := im.colourspace(interpSRGB); err != nil {
			return err
		}
	}
	return fitExactly(im, w, h)
}

// resample scales im towards w×h, with premultiplied alpha. The band
// format is restored afterwards unless working in linear light.
func resample(im *image, w, h int, linear bool) error {
	alpha := im.hasAlpha()
	format := im.bandFormat()
	if alpha {
		if err := im.premultiply(); err != nil {
			return err
		}
	}
	if err := im.resize(float64(w)/float64(im.width()), float64(h)/float64(im.height())); err != nil {
		return err
	}
	if !alpha {
		return nil
	}
	if err := im.unpremultiply(); err != nil {
		return err
	}
	if linear {
		return nil
	}
	return im.cast(format)
}

// fitExactly fixes the one-pixel rounding vips_resize may leave on a side,
// by extending with copies of the edge or cutting.
func fitExactly(im *image, w, h int) error {
	if im.width() == w && im.height() == h {
		return nil
	}
	if im.width() < w || im.height() < h {
		if err := im.embed(0, 0, max(w, im.width()), max(h, im.height()), nil); err != nil {
			return err
		}
	}
	return im.extractArea(0, 0, w, h)
}
