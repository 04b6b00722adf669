package vips

import (
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/svgsan"
)

// styleSVG applies the style option (imgproxy Pro) to an SVG source: the
// CSS becomes a <style> element, the first child of the root <svg>, for
// the rendered and the passed-through result alike (docs/security.md,
// "SVG"). The source is sanitised with the element added (its CSS held to
// the rules of any <style>: no external url(), no @import, no script), and
// the result is sanitised once more, whatever IMGPROXY_SANITIZE_SVG says.
// Other sources and an empty style are returned as they are. The result
// is in Go memory; src is only read.
func styleSVG(src []byte, f options.Format, css string) ([]byte, error) {
	if f != options.FormatSVG || css == "" {
		return src, nil
	}
	styled, err := svgsan.SanitizeStyled(nil, src, css)
	if err != nil {
		return nil, err
	}
	return svgsan.Sanitize(nil, styled)
}
