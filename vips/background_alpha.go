package vips

// background_alpha: with the background option, a background_alpha below
// 1 makes the background colour translucent instead of opaque, where the
// output format keeps transparency (docs/options.md). Canvases added by
// extend and padding are transparent then (extend.go), and flatten
// composes the whole image onto the translucent colour instead of an
// opaque one (flatten.go).

// translucentBackground reports whether the background is a colour with
// an alpha below 1 that the output keeps.
func (st *state) translucentBackground() bool {
	return st.o.HasBackground && !st.o.FlattensAlpha() && supportsAlpha(st.out)
}

// flattenTranslucent composes the image over a layer of the background
// colour with the background alpha.
func flattenTranslucent(st *state) error {
	im := st.im
	if err := toColour(im); err != nil {
		return err
	}
	format := im.bandFormat()
	bg := append(rgbSlice(st.background()), 255*st.o.BackgroundAlpha)
	canvas, err := constImage(im.width(), im.height(), bg, format)
	if err != nil {
		return err
	}
	defer canvas.close()
	if err := canvas.compositeOver(im, 0, 0); err != nil {
		return err
	}
	if err := canvas.cast(format); err != nil {
		return err
	}
	im.take(canvas)
	return nil
}
