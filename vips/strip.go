package vips

// strip applies strip_metadata, keep_copyright and strip_color_profile
// (metadata.go) to a private header copy of the result.
func strip(st *state) error {
	if err := st.im.copy(); err != nil {
		return err
	}
	stripMetadata(st.im, st.o)
	return nil
}
