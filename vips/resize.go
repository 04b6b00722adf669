package vips

// resize scales the cropped source to the planned size (in the raw
// orientation: orientImage runs after it).
func resize(st *state) error {
	tw, th := st.g.ScaledW, st.g.ScaledH
	if st.t.swaps() {
		tw, th = th, tw
	}
	return st.p.resizeWith(st.im, tw, th, st.o.ResizingAlgorithm)
}

// fixSize scales the result down to what the output format can store
// (formatMaxSide: e.g. 16383 for WebP, 256 for ICO).
func fixSize(st *state) error {
	im := st.im
	cw, ch := capSize(st.out, im.width(), im.height())
	if cw == im.width() && ch == im.height() {
		return nil
	}
	return st.p.resizeTo(im, cw, ch)
}
