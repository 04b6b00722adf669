package vips

import "github.com/imgedge/imgedge/options"

// colorize lays the colorize colour over the image with its opacity. With
// keep_alpha (or an opaque image) the colour channels are mixed and the
// transparency stays as it was; otherwise the colour covers transparent
// areas too, as a layer composed over the image.
func colorize(st *state) error {
	c := st.o.Colorize
	if c.Opacity <= 0 {
		return nil
	}
	im := st.im
	if err := toColour(im); err != nil {
		return err
	}
	if !im.hasAlpha() || c.KeepAlpha {
		return colourOnly(im, func(cb *image) error {
			col, scale := rgb(c.Color), sampleScale(cb)
			return cb.linear([]float64{1 - c.Opacity}, []float64{col[0] * c.Opacity * scale, col[1] * c.Opacity * scale, col[2] * c.Opacity * scale}, false)
		})
	}
	layer, err := constImage(im.width(), im.height(), append(rgbSlice(c.Color), 255*c.Opacity), im.bandFormat())
	if err != nil {
		return err
	}
	defer layer.close()
	return overlay(im, layer, options.Gravity{}, 1)
}

// rgbSlice returns c's channels as a new slice.
func rgbSlice(c options.Color) []float64 {
	v := rgb(c)
	return v[:]
}
