package vips

import "github.com/imgedge/imgedge/options"

// plan computes the geometry of the result from the (trimmed, vector
// guarded) source size: orientation, crop, scale, result crop, extend and
// padding (geometry.go, a pure function). It also settles what depends on
// the result size: an AVIF too small for the encoder becomes JPEG (PNG
// with transparency), and a result over MaxResultPixels is refused.
func plan(st *state) error {
	o := st.o
	st.t = transformFor(o, st.orientation)
	ow, oh := st.rawW, st.rawH
	if st.t.swaps() {
		ow, oh = oh, ow
	}
	st.g = computeGeometry(o, ow, oh, st.vector)
	// Smart crop runs per frame (cropToResult), so each frame of an
	// animation gets its own attention window, as in imgproxy.
	st.smart = o.Gravity.Type == options.GravitySmart
	fw, fh := capSize(st.out, st.g.FinalW, st.g.FinalH)
	if st.out == options.FormatAVIF && min(fw, fh) < 16 {
		st.out = options.FormatJPEG
		if st.needAlpha {
			st.out = options.FormatPNG
		}
	}
	// With strip_color_profile=false imgproxy returns a CMYK source in
	// CMYK with its profile when the output stores CMYK: the pipeline
	// works in sRGB and the result is converted back with that profile.
	st.keepCMYK = !o.StripColorProfile && (st.out == options.FormatJPEG || st.out == options.FormatTIFF) && !st.animated &&
		st.best == nil && o.ColorProfile == ""
	maxPx := st.p.cfg.MaxResultPixels
	if int64(st.g.FinalW)*int64(st.g.FinalH) > maxPx || int64(st.g.ScaledW)*int64(st.g.ScaledH) > maxPx {
		return options.Errorf(options.KindResultTooBig, "result %dx%d is too big", st.g.FinalW, st.g.FinalH)
	}
	return nil
}
