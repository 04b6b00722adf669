package svgsan

import "strings"

// cleanURL lower-cases ASCII letters and drops every space and control
// character anywhere in v: browsers strip leading/trailing C0 and space
// and remove tabs and newlines inside URLs, so "java\tscript:" is
// javascript:. Dropping all of them is stricter than any browser.
func cleanURL(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c <= 0x20 || c == 0x7f:
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// urlScheme returns the scheme of a cleaned URL, "" when it is relative
// (no "scheme:" before any '/', '?' or '#').
func urlScheme(u string) string {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c == ':':
			if i == 0 {
				return ""
			}
			return u[:i]
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return ""
		}
	}
	return ""
}

// hrefAllowed applies the href rules of docs/security.md ("4. SVG") to an href of
// element elem (lower-cased local name).
func hrefAllowed(elem, v string) bool {
	u := cleanURL(v)
	if strings.HasPrefix(u, "#") {
		return true
	}
	if elem == "use" {
		return false
	}
	switch urlScheme(u) {
	case "":
		return true // relative
	case "http", "https":
		return true
	case "data":
		// Images only, and only image media types: never data:text/html.
		return (elem == "image" || elem == "feimage") && strings.HasPrefix(u, "data:image/")
	}
	return false
}
