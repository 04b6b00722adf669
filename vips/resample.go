package vips

import "github.com/imgedge/imgedge/options"

// resizeTo resizes im to exactly w×h with lanczos3, premultiplying alpha
// and working in linear light when IMGPROXY_USE_LINEAR_COLORSPACE is on.
func (p *Processor) resizeTo(im *image, w, h int) error {
	return p.resizeWith(im, w, h, options.ResizeLanczos3)
}

// resizeWith is resizeTo with the kernel of resizing_algorithm.
func (p *Processor) resizeWith(im *image, w, h int, alg options.ResizingAlgorithm) error {
	if im.width() == w && im.height() == h {
		return nil
	}
	linear := p.cfg.UseLinearColorspace && im.interp() == interpSRGB
	if linear {
		if err := im.colourspace(interpScRGB); err != nil {
			return err
		}
	}
	if err := resample(im, w, h, linear, alg); err != nil {
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
func resample(im *image, w, h int, linear bool, alg options.ResizingAlgorithm) error {
	alpha := im.hasAlpha()
	format := im.bandFormat()
	if alpha {
		if err := im.premultiply(); err != nil {
			return err
		}
	}
	if err := im.resizeKernel(float64(w)/float64(im.width()), float64(h)/float64(im.height()), resizeKernels[alg]); err != nil {
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
