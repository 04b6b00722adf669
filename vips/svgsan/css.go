package svgsan

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// cssNeedles are constructs that load something or run script; any of
// them makes a style block or attribute dangerous (checked on the
// normalised text, so "@\69mport" and "ur/**/l(" are caught too).
var cssNeedles = []string{
	"@import", "expression(", "behavior:", "-moz-binding", "javascript:", "vbscript:",
	"image-set(", "image(", "cross-fade(", "element(", "src(",
}

// cssDangerous reports whether CSS text can load a resource or run script:
// one of cssNeedles, or a url() whose target is not a #fragment.
func cssDangerous(css []byte) bool {
	n := normalizeCSS(css)
	for _, needle := range cssNeedles {
		if strings.Contains(n, needle) {
			return true
		}
	}
	for {
		i := strings.Index(n, "url(")
		if i < 0 {
			return false
		}
		n = n[i+4:]
		arg := strings.TrimLeft(n, `"'`)
		if !strings.HasPrefix(arg, "#") {
			return true
		}
	}
}

// normalizeCSS removes comments, decodes escapes (\hex and \char), drops
// whitespace and control characters and lower-cases ASCII. The result is
// only for matching: it is never written out.
func normalizeCSS(css []byte) string {
	var b strings.Builder
	b.Grow(len(css))
	for i := 0; i < len(css); {
		c := css[i]
		switch {
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			end := bytes.Index(css[i+2:], []byte("*/"))
			if end < 0 {
				return b.String()
			}
			i += 2 + end + 2
			continue
		case c == '\\':
			i++
			if i >= len(css) {
				continue
			}
			h := 0
			var r rune
			for h < 6 && i+h < len(css) && isHex(css[i+h]) {
				r = r<<4 | rune(unhex(css[i+h]))
				h++
			}
			if h == 0 {
				c = css[i] // "\x" is "x"; "\<newline>" is dropped below
				i++
				break
			}
			i += h
			if i < len(css) && isCSSSpace(css[i]) {
				i++ // one whitespace ends a hex escape
			}
			if r < utf8.RuneSelf {
				c = byte(r)
				break
			}
			b.WriteRune(r)
			continue
		default:
			i++
		}
		switch {
		case c <= 0x20 || c == 0x7f:
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func isCSSSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
