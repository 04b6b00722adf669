package vips

import "github.com/imgedge/imgedge/vips/svgsan"

// sanitizeSVG cleans an SVG for passthrough (http-behaviour.md §8): see
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
