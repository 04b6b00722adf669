package vips

import "github.com/imgedge/imgedge/options"

// monochrome turns the image into shades of the monochrome colour (black
// stays black, white becomes the colour; b3b3b3 by default), mixed with
// the original by the intensity (the monochrome option). A grey colour
// leaves no chroma. Alpha is left alone.
func monochrome(st *state) error {
	m := st.o.Monochrome
	if m.Intensity <= 0 {
		return nil
	}
	return tone(st.im, m.Intensity, options.Color{}, m.Color)
}
