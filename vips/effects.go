package vips

// blur applies a gaussian blur with the blur option's sigma.
func blur(st *state) error {
	if st.o.Blur <= 0 {
		return nil
	}
	return st.im.gaussblur(st.o.Blur)
}

// sharpen applies libvips' sharpen with the sharpen option's sigma to the
// colour bands only (alpha is split off and joined back).
func sharpen(st *state) error {
	if st.o.Sharpen <= 0 {
		return nil
	}
	im, sigma := st.im, st.o.Sharpen
	if !im.hasAlpha() {
		return im.sharpen(sigma)
	}
	alpha, err := im.band(im.bands()-1, 1)
	if err != nil {
		return err
	}
	defer alpha.close()
	format := im.bandFormat()
	if err := im.extractBand(0, im.bands()-1); err != nil {
		return err
	}
	if err := im.sharpen(sigma); err != nil {
		return err
	}
	if err := im.cast(format); err != nil {
		return err
	}
	return im.bandjoin(alpha)
}

// pixelate replaces each block×block square (the pixelate option) by its
// average colour.
func pixelate(st *state) error {
	if st.o.Pixelate <= 1 {
		return nil
	}
	im := st.im
	w, h := im.width(), im.height()
	block := min(st.o.Pixelate, max(w, h))
	pw, ph := (w+block-1)/block*block, (h+block-1)/block*block
	if pw != w || ph != h {
		if err := im.embed(0, 0, pw, ph, nil); err != nil {
			return err
		}
	}
	format := im.bandFormat()
	if err := im.shrink(float64(block), float64(block)); err != nil {
		return err
	}
	if err := im.zoom(block, block); err != nil {
		return err
	}
	if err := im.cast(format); err != nil {
		return err
	}
	return im.extractArea(0, 0, w, h)
}
