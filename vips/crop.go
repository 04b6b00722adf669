package vips

import "github.com/imgedge/imgedge/options"

// crop cuts the source crop area (the crop option, or the part of the
// source the fill/force resize keeps) before resizing. The plan is in the
// oriented full-resolution source; it is mapped back to the raw
// orientation and to the loaded scale (shrink-on-load may have made st.im
// smaller). Crop gravity sm uses libvips' attention smart crop.
func crop(st *state) error {
	im, g, t := st.im, &st.g, st.t
	ow, oh := st.rawW, st.rawH
	if t.swaps() {
		ow, oh = oh, ow
	}
	if g.Crop.W == ow && g.Crop.H == oh {
		return nil
	}
	fx := float64(im.width()) / float64(st.rawW)
	fy := float64(im.height()) / float64(st.rawH)
	if g.CropGravity.Type == options.GravitySmart {
		cw, ch := g.Crop.W, g.Crop.H
		if t.swaps() {
			cw, ch = ch, cw
		}
		if err := im.copyMemory(); err != nil {
			return err
		}
		return im.smartcrop(max(1, round(float64(cw)*fx)), max(1, round(float64(ch)*fy)))
	}
	r := t.rectToRaw(g.Crop, st.rawW, st.rawH)
	x, y := min(round(float64(r.X)*fx), im.width()-1), min(round(float64(r.Y)*fy), im.height()-1)
	w, h := max(1, round(float64(r.W)*fx)), max(1, round(float64(r.H)*fy))
	w, h = min(w, im.width()-x), min(h, im.height()-y)
	return im.extractArea(x, y, w, h)
}

// cropToResult cuts the resized, oriented image to the result size
// (fill, fill-down and the crop option's gravity), smart crop with gravity
// sm.
func cropToResult(st *state) error {
	im, g := st.im, &st.g
	if g.ResultW >= im.width() && g.ResultH >= im.height() {
		return nil
	}
	cw, ch := min(g.ResultW, im.width()), min(g.ResultH, im.height())
	if st.smart {
		if err := im.copyMemory(); err != nil {
			return err
		}
		return im.smartcrop(cw, ch)
	}
	return im.extractArea(min(g.ResultX, im.width()-cw), min(g.ResultY, im.height()-ch), cw, ch)
}
