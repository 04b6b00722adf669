package vips

// adjust applies saturation (chroma scaled in LCh), then contrast (around
// mid grey) and brightness (added to every colour channel), the adjust,
// brightness, contrast and saturation options; alpha is left alone.
func adjust(st *state) error {
	a := st.o.Adjust
	c, s := orOne(a.Contrast), orOne(a.Saturation)
	if a.Brightness == 0 && c == 1 && s == 1 {
		return nil
	}
	return colourOnly(st.im, func(im *image) error {
		if s != 1 && im.bands() >= 3 {
			if err := saturate(im, s); err != nil {
				return err
			}
		}
		if a.Brightness == 0 && c == 1 {
			return nil
		}
		scale := sampleScale(im)
		return im.linear([]float64{c}, []float64{128*scale*(1-c) + float64(a.Brightness)*scale}, false)
	})
}

// saturate multiplies the chroma of an sRGB (or RGB16) image by s.
func saturate(im *image, s float64) error {
	back := im.interp()
	format := im.bandFormat()
	if err := im.colourspace(interpLCh); err != nil {
		return err
	}
	if err := im.linear([]float64{1, s, 1}, []float64{0, 0, 0}, false); err != nil {
		return err
	}
	if err := im.colourspace(back); err != nil {
		return err
	}
	return im.cast(format)
}
