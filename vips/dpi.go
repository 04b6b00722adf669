package vips

// dpi writes the dpi option into the result's density (JPEG, PNG, TIFF
// and the other formats whose encoders store one). Without the option a
// result whose metadata is stripped gets IMGPROXY_STRIP_METADATA_DPI (72,
// like imgproxy); otherwise the source's density is kept.
func dpi(st *state) error {
	d := st.o.DPI
	if d <= 0 {
		if !st.o.StripMetadata {
			return nil
		}
		d = st.p.cfg.StripMetadataDPI
	}
	if err := st.im.copy(); err != nil {
		return err
	}
	st.im.setResolution(d / 25.4)
	return nil
}
