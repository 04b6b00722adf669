package vips

import "github.com/imgedge/imgedge/options"

// unsharpMasking sharpens with a 3×3 mask after resizing (unsharp_masking,
// IMGPROXY_UNSHARP_MASKING_*): every neighbour counts −weight, the pixel
// itself divider + 8 × weight, and the sum is divided by divider, so flat
// areas are unchanged and a pixel moves away from its neighbours' mean by
// 8 × weight / divider of the difference. Mode auto runs it only on
// downscaled images without the sharpen option; alpha is left alone.
func unsharpMasking(st *state) error {
	u := st.o.UnsharpMasking
	switch u.Mode {
	case options.UnsharpNone:
		return nil
	case options.UnsharpAuto:
		if st.o.Sharpen > 0 || !st.downscaled() {
			return nil
		}
	}
	if u.Weight <= 0 || u.Divider <= 0 {
		return nil
	}
	w := -u.Weight
	mask := []float64{w, w, w, w, u.Divider + 8*u.Weight, w, w, w, w}
	return colourOnly(st.im, func(im *image) error { return im.convolve(mask, 3, 3, u.Divider) })
}

// downscaled reports whether the resize step made the image smaller.
func (st *state) downscaled() bool {
	return st.g.ScaledW < st.g.Crop.W || st.g.ScaledH < st.g.Crop.H
}
