package vips

import "github.com/imgedge/imgedge/options"

// trim removes a uniform border (docs/processing.md, trim) from the
// full-size image. It reloads the source at full size (random access, one
// frame), so shrink-on-load is skipped afterwards; animations are not
// trimmed.
func trim(st *state) error {
	if !st.o.Trim.Enabled || st.animated {
		return nil
	}
	if err := st.reload(st.withPages(loadParams{n: 1, scale: st.vscale})); err != nil {
		return err
	}
	if err := trimBorder(st.im, st.o.Trim); err != nil {
		return err
	}
	st.rawW, st.rawH = st.im.width(), st.im.height()
	st.trimmed = true
	return nil
}

// trimBorder finds the border on a flattened 8-bit sRGB copy of im, so
// colours compare as given, and cuts the box from im itself.
func trimBorder(im *image, tr options.Trim) error {
	probe, err := im.clone()
	if err != nil {
		return err
	}
	defer probe.close()
	if err := toSRGB8(probe); err != nil {
		return err
	}
	if probe.hasAlpha() {
		if err := probe.flatten([]float64{255, 0, 255}); err != nil {
			return err
		}
	}
	var bg []float64
	if tr.HasColor {
		bg = []float64{float64(tr.Color.R), float64(tr.Color.G), float64(tr.Color.B)}
	} else {
		px, err := probe.getpoint(0, 0)
		if err != nil {
			return err
		}
		bg = px[:min(3, len(px))]
	}
	l, t, w, h, err := probe.findTrim(tr.Threshold, bg)
	if err != nil {
		return err
	}
	if w <= 0 || h <= 0 {
		return nil // nothing but border: keep the image
	}
	W, H := im.width(), im.height()
	if tr.EqualHor {
		d := min(l, W-l-w)
		l, w = d, W-2*d
	}
	if tr.EqualVer {
		d := min(t, H-t-h)
		t, h = d, H-2*d
	}
	return im.extractArea(l, t, w, h)
}
