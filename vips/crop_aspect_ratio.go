package vips

import "github.com/imgedge/imgedge/options"

// cropAspectRatio corrects an aw×ah crop area of a w×h source to the
// crop_aspect_ratio (width / height): the longer side is shortened, or
// with enlarge the shorter one lengthened and, when that leaves the
// source, the area shrunk to fit it at the same ratio. Only the size
// changes; the crop gravity places the corrected area (docs/options.md).
// The crop area is the whole source when the crop option is not given.
func cropAspectRatio(c options.CropAspectRatio, aw, ah, w, h int) (int, int) {
	r := c.Ratio
	if r <= 0 {
		return aw, ah
	}
	cur := float64(aw) / float64(ah)
	switch {
	case c.Enlarge && cur < r, !c.Enlarge && cur > r:
		aw = round(float64(ah) * r)
	default:
		ah = round(float64(aw) / r)
	}
	if aw > w {
		aw, ah = w, round(float64(w)/r)
	}
	if ah > h {
		aw, ah = round(float64(h)*r), h
	}
	return max(1, min(aw, w)), max(1, min(ah, h))
}
