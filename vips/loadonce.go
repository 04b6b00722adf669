package vips

import (
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Loading once: a JPEG or WebP still that the decoder will shrink is opened
// a single time, already shrunk, instead of once for libvips' header and
// again with the shrink (each opening parses the header and the EXIF
// block). The plan is made from the pure-Go probe's reading of the header;
// libvips' own reading still decides: the image it opened must have exactly
// the size the probe's header gives at that shrink, and the same EXIF
// orientation, else the source is opened again the ordinary way (loadHeader)
// and everything is planned from libvips' header.

// loadShrunk opens the source already shrunk when the probe's header
// allows planning before any libvips call. It reports whether it did; on
// false st.im is closed (or was never opened) and the caller loads the
// header as usual.
func (st *state) loadShrunk() (bool, error) {
	lp, ok := st.plannedLoad()
	if !ok {
		return false, nil
	}
	if err := st.reload(lp); err != nil {
		return false, err
	}
	w, h, ok := expectedLoadSize(st.meta, lp)
	if !ok || st.im.width() != w || st.im.height() != h || st.im.getInt("orientation", 1) != orientationOf(st.meta) {
		st.im.close()
		st.im = nil
		return false, nil
	}
	// libvips' full-size reading is within a shrink factor of the probe's
	// (it rounds to the same shrunk size): hold the largest size it can be
	// to the limits, and let the exact path decide the rare borderline case.
	seen := imagemeta.Meta{Format: st.meta.Format, Width: upperBound(w, lp), Height: upperBound(h, lp), Frames: 1}
	if imagemeta.CheckLimits(seen, st.o.Limits) != nil {
		st.im.close()
		st.im = nil
		return false, nil
	}
	st.rawW, st.rawH = st.meta.Width, st.meta.Height
	st.orientation = orientationOf(st.meta)
	st.shrunk = &lp
	return true, nil
}

// plannedLoad plans the request on the probe's header and returns the
// shrinking load scaleOnLoad would make. ok is false when the source is not
// a JPEG or WebP still, when trim (which needs the full image), page
// selection or animation is involved, or when the decoder would not shrink
// (then the header load is the only load anyway).
func (st *state) plannedLoad() (loadParams, bool) {
	f := st.meta.Format
	if (f != options.FormatJPEG && f != options.FormatWebP) || st.animated || st.meta.Animated || st.pages > 0 ||
		st.o.Trim.Enabled || st.p.cfg.DisableShrinkOnLoad || st.meta.Width <= 0 || st.meta.Height <= 0 {
		return loadParams{}, false
	}
	// Plan on a copy: plan also settles the output format and CMYK
	// handling, which the pipeline's own plan step decides again on
	// libvips' header.
	tmp := *st
	tmp.rawW, tmp.rawH, tmp.orientation, tmp.vscale = st.meta.Width, st.meta.Height, orientationOf(st.meta), 1
	if plan(&tmp) != nil {
		return loadParams{}, false
	}
	lp := tmp.shrinkOnLoad()
	if lp.shrink <= 1 && lp.scale == 1 {
		return loadParams{}, false
	}
	return lp, true
}

// expectedLoadSize is the size libvips 8.14 gives a source of the probe's
// size when loaded with lp: JPEG shrink rounds down, WebP scale rounds to
// nearest.
func expectedLoadSize(m imagemeta.Meta, lp loadParams) (w, h int, ok bool) {
	switch {
	case m.Format == options.FormatJPEG && lp.shrink > 1:
		return m.Width / lp.shrink, m.Height / lp.shrink, true
	case m.Format == options.FormatWebP && lp.scale > 0 && lp.scale < 1:
		return round(float64(m.Width) * lp.scale), round(float64(m.Height) * lp.scale), true
	}
	return 0, 0, false
}

// upperBound is the largest full-size side that loads as side with lp.
func upperBound(side int, lp loadParams) int {
	if lp.shrink > 1 {
		return side*lp.shrink + lp.shrink - 1
	}
	return int(float64(side)/lp.scale) + 1
}

// orientationOf is the probe's EXIF orientation as libvips reports it (1
// when absent).
func orientationOf(m imagemeta.Meta) int {
	if m.Orientation < 1 || m.Orientation > 8 {
		return 1
	}
	return m.Orientation
}
