package vips

// flatten composes an image with alpha onto the background colour when
// the background option is set or the output format has no alpha (white
// when unset); onto a translucent one with background_alpha
// (background_alpha.go).
func flatten(st *state) error {
	im := st.im
	if !im.hasAlpha() || (!st.o.HasBackground && supportsAlpha(st.out)) {
		return nil
	}
	if st.translucentBackground() {
		return flattenTranslucent(st)
	}
	vals, err := bgValues(im, st.background(), false)
	if err != nil {
		return err
	}
	return im.flatten(vals[:len(vals)-1])
}
