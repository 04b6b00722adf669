package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
	"github.com/imgedge/imgedge/vips/svgsan"
)

// sanitizeSVG cleans an SVG for passthrough (docs/security.md, "SVG"): see
// package svgsan. dst is reused when large enough.
func sanitizeSVG(dst, src []byte) ([]byte, error) {
	return svgsan.Sanitize(dst, src)
}

// svgUTF8 returns an SVG saved in another encoding (UTF-16 with a
// byte-order mark, as some editors write, or an encoding its XML
// declaration names) converted to UTF-8, so that the probe, the sanitiser
// and librsvg all read the same UTF-8 document (docs/security.md). Any
// other source, and a document in an unknown encoding, is returned as it
// is; the check costs a few byte comparisons.
func svgUTF8(src []byte) []byte {
	if out, err := svgsan.ToUTF8(src); err == nil {
		return out
	}
	return src
}

// checkSVGRender refuses, before librsvg sees it, an SVG source whose
// rendering for o would cost too much (svgsan.CheckRender; limits in
// docs/security.md). The size it is checked at is the size the pipeline
// renders it at: the intrinsic size shrunk below the resolution limit,
// then scaled to the output (full size when trimming). An SVG of unknown
// size is checked at the resolution limit. Other formats pass.
func checkSVGRender(src []byte, meta imagemeta.Meta, o *options.Options) error {
	if meta.Format != options.FormatSVG {
		return nil
	}
	w, h := svgRenderSize(meta, o)
	return svgsan.CheckRender(src, w, h)
}

// svgRenderSize is the pixel size job.run renders an SVG at.
func svgRenderSize(meta imagemeta.Meta, o *options.Options) (int, int) {
	limit := float64(o.Limits.MaxSrcResolution)
	if limit <= 0 {
		limit = 50e6 // no limit: assume imgproxy's default for an unknown size
	}
	w, h := float64(meta.Width), float64(meta.Height)
	if w <= 0 || h <= 0 {
		side := int(math.Sqrt(limit))
		return side, side
	}
	if o.Limits.MaxSrcResolution > 0 && w*h > limit { // vector guard
		s := math.Sqrt(limit / (w * h))
		w, h = math.Max(1, math.Floor(w*s)), math.Max(1, math.Floor(h*s))
	}
	if o.Trim.Enabled {
		return int(w), int(h)
	}
	ow, oh := int(w), int(h)
	if transformFor(o, 1).swaps() {
		ow, oh = oh, ow
	}
	g := computeGeometry(o, ow, oh, true)
	if g.Crop.W <= 0 || g.Crop.H <= 0 {
		return int(w), int(h)
	}
	s := math.Max(float64(g.ScaledW)/float64(g.Crop.W), float64(g.ScaledH)/float64(g.Crop.H))
	return int(math.Ceil(w * s)), int(math.Ceil(h * s))
}
