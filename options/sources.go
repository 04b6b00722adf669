package options

import "strings"

// sourcePattern is one IMGPROXY_ALLOWED_SOURCES prefix pattern split at
// its "*" wildcards.
type sourcePattern struct {
	parts []string // literal pieces; a wildcard sits between neighbours
	// hostEnd: the pattern ends inside the authority ("scheme://host"
	// with no "/" after it), so the URL must continue with a delimiter.
	hostEnd bool
}

func compileSourcePattern(s string) sourcePattern {
	sp := sourcePattern{parts: strings.Split(s, "*")}
	if i := strings.Index(s, "://"); i >= 0 && !strings.Contains(s[i+3:], "/") {
		sp.hostEnd = true
	}
	return sp
}

// wildcardStop are the characters "*" never matches: path, query,
// fragment and userinfo delimiters (and "\" which some URL parsers treat
// as "/"), so a wildcard cannot swallow a host boundary.
func wildcardStop(c byte) bool {
	return c == '/' || c == '?' || c == '#' || c == '@' || c == '\\'
}

func (sp *sourcePattern) match(u string) bool {
	return matchParts(sp.parts, u, sp.hostEnd)
}

// matchParts matches u against literal parts separated by wildcards,
// backtracking over wildcard lengths (bounded: a wildcard stops at the
// next delimiter).
func matchParts(parts []string, u string, hostEnd bool) bool {
	if !strings.HasPrefix(u, parts[0]) {
		return false
	}
	u = u[len(parts[0]):]
	if len(parts) == 1 {
		if !hostEnd || u == "" {
			return true
		}
		switch u[0] {
		case '/', '?', '#':
			return true
		}
		return false
	}
	for n := 0; ; n++ {
		if matchParts(parts[1:], u[n:], hostEnd) {
			return true
		}
		if n == len(u) || wildcardStop(u[n]) {
			return false
		}
	}
}

func (p *Parser) sourceAllowed(u string) bool {
	for i := range p.sources {
		if p.sources[i].match(u) {
			return true
		}
	}
	return false
}
