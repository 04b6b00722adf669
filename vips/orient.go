package vips

// orientImage applies the EXIF orientation (with auto_rotate) and the
// rotate and flip options, composed into one rotation and an optional
// mirror (geometry.go, orient). The image is computed into memory first:
// rotating a lazily decoded image would read it out of order.
func orientImage(st *state) error {
	t, im := st.t, st.im
	if t.Angle == 0 && !t.Flip {
		return nil
	}
	if err := im.copyMemory(); err != nil {
		return err
	}
	if err := im.rot(t.Angle); err != nil {
		return err
	}
	if t.Flip {
		return im.flip(false)
	}
	return nil
}
