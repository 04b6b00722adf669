package vips

import "github.com/imgedge/imgedge/options"

// gradient lays a layer of the gradient colour over the image whose
// opacity grows from 0 at start to the gradient's opacity at stop, along
// its direction (docs/options.md). Transparent areas are covered too.
func gradient(st *state) error {
	g := st.o.Gradient
	if g.Opacity <= 0 {
		return nil
	}
	im := st.im
	if err := toColour(im); err != nil {
		return err
	}
	w, h, format := im.width(), im.height(), im.bandFormat()
	layer, err := constImage(w, h, rgbSlice(g.Color), format)
	if err != nil {
		return err
	}
	defer layer.close()
	alpha, err := rampMask(w, h, g.Ramp, 1, 0)
	if err != nil {
		return err
	}
	defer alpha.close()
	// Scale the ramp to the opacity (and to 16 bits for a 16-bit image).
	if err := alpha.linear([]float64{g.Opacity * sampleScale(im)}, []float64{0}, false); err != nil {
		return err
	}
	if err := alpha.cast(format); err != nil {
		return err
	}
	if err := layer.bandjoin(alpha); err != nil {
		return err
	}
	if err := layer.copy(); err != nil {
		return err
	}
	layer.setInterp(colourInterp(format))
	return overlay(im, layer, options.Gravity{}, 1)
}
