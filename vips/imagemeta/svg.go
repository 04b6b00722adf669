package imagemeta

import (
	"bytes"
	"math"
	"strconv"

	"github.com/imgedge/imgedge/options"
)

// DetectSVG reports whether data is an SVG document: after an optional
// UTF-8 BOM, XML declaration, processing instructions, comments, DOCTYPE
// and whitespace, the first element is <svg> (any namespace prefix), all
// within the first maxCheckBytes bytes (<= 0: DefaultMaxSVGCheckBytes).
// Well-formedness is not checked: the sanitiser or librsvg does that.
func DetectSVG(data []byte, maxCheckBytes int) bool {
	if maxCheckBytes <= 0 {
		maxCheckBytes = DefaultMaxSVGCheckBytes
	}
	_, ok := findSVGRoot(data, maxCheckBytes)
	return ok
}

// findSVGRoot scans the prologue within the first limit bytes and returns
// the root start tag (clipped to the window when it does not end there).
func findSVGRoot(data []byte, limit int) ([]byte, bool) {
	if len(data) > limit {
		data = data[:limit]
	}
	d := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for {
		d = bytes.TrimLeft(d, " \t\r\n")
		switch {
		case hasPrefix(d, "<?"):
			i := bytes.Index(d, []byte("?>"))
			if i < 0 {
				return nil, false
			}
			d = d[i+2:]
		case hasPrefix(d, "<!--"):
			i := bytes.Index(d[4:], []byte("-->"))
			if i < 0 {
				return nil, false
			}
			d = d[4+i+3:]
		case hasPrefix(d, "<!"):
			i := DeclEnd(d)
			if i < 0 {
				return nil, false
			}
			d = d[i+1:]
		case hasPrefix(d, "<"):
			n := 1
			for n < len(d) && isNameByte(d[n]) {
				n++
			}
			name := d[1:n]
			if j := bytes.LastIndexByte(name, ':'); j >= 0 {
				name = name[j+1:]
			}
			if string(name) != "svg" || n < len(d) && !isSpace(d[n]) && d[n] != '>' && d[n] != '/' {
				return nil, false
			}
			return d[:tagEnd(d)], true
		default:
			return nil, false
		}
	}
}

// DeclEnd returns the index of the '>' closing the <!...> declaration at
// the start of d (a DOCTYPE may hold an internal subset with quoted strings
// and nested declarations), or -1. It does not retain d.
func DeclEnd(d []byte) int {
	depth := 0
	var quote byte
	for i := 2; i < len(d); i++ {
		c := d[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '<':
			depth++
		case c == ']' || c == '>' && depth > 0:
			depth--
		case c == '>':
			return i
		}
	}
	return -1
}

// tagEnd returns the length of the start tag at d (through '>'), or len(d).
func tagEnd(d []byte) int {
	var quote byte
	for i, c := range d {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1
		}
	}
	return len(d)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == ':' || c == '-' || c == '.' || c >= 0x80
}

// probeSVG reads width, height and viewBox from the root tag. Lengths in
// px, pt, pc, mm, cm and in are converted at 96 DPI (librsvg); relative
// units and percentages count as absent. A missing side is taken from the
// viewBox, scaled by its aspect ratio when the other side is known.
func probeSVG(tag []byte) Meta {
	m := Meta{Format: options.FormatSVG, Frames: 1, HasAlpha: true}
	var w, h, vbw, vbh float64
	svgAttrs(tag, func(name, val []byte) {
		switch string(name) {
		case "width":
			w = svgLength(val)
		case "height":
			h = svgLength(val)
		case "viewBox":
			f := bytes.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' })
			if len(f) == 4 {
				vbw, _ = strconv.ParseFloat(string(f[2]), 64)
				vbh, _ = strconv.ParseFloat(string(f[3]), 64)
				if !(vbw > 0 && vbh > 0) || math.IsInf(vbw, 0) || math.IsInf(vbh, 0) {
					vbw, vbh = 0, 0
				}
			}
		}
	})
	switch {
	case w > 0 && h > 0:
	case w > 0 && vbw > 0:
		h = w * vbh / vbw
	case h > 0 && vbh > 0:
		w = h * vbw / vbh
	case w <= 0 && h <= 0:
		w, h = vbw, vbh
	}
	m.Width, m.Height = svgPixels(w), svgPixels(h)
	if m.Width == 0 || m.Height == 0 {
		m.Width, m.Height = 0, 0
	}
	return m
}

func svgPixels(v float64) int {
	if !(v > 0) {
		return 0
	}
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(math.Round(v))
}

// svgLength parses an absolute SVG length into CSS pixels; 0 if not absolute.
func svgLength(v []byte) float64 {
	x, unit, ok := SplitSVGLength(v)
	if !ok || !(x > 0) {
		return 0
	}
	scale := 0.0
	switch unit {
	case "", "px":
		scale = 1
	case "pt":
		scale = 96.0 / 72
	case "pc":
		scale = 16
	case "mm":
		scale = 96 / 25.4
	case "cm":
		scale = 96 / 2.54
	case "in":
		scale = 96
	}
	return x * scale
}

// SplitSVGLength splits an SVG length or number attribute value into its
// number and its unit ("px", "%", "" ...; spaces trimmed). ok is false
// when the value does not start with a finite number. It does not retain v.
func SplitSVGLength(v []byte) (x float64, unit string, ok bool) {
	v = bytes.TrimSpace(v)
	n := 0
	for n < len(v) && (v[n] >= '0' && v[n] <= '9' || v[n] == '.' || v[n] == '+' || v[n] == '-' ||
		(v[n] == 'e' || v[n] == 'E') && n+1 < len(v) && (v[n+1] >= '0' && v[n+1] <= '9' || v[n+1] == '-' || v[n+1] == '+')) {
		n++
	}
	x, err := strconv.ParseFloat(string(v[:n]), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, "", false
	}
	return x, string(bytes.TrimSpace(v[n:])), true
}

// svgAttrs calls fn for each name="value" attribute of a start tag
// (values are not entity-decoded; a value that needs it fails to parse).
func svgAttrs(tag []byte, fn func(name, val []byte)) {
	i := 1
	for i < len(tag) && isNameByte(tag[i]) {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		s := i
		for i < len(tag) && isNameByte(tag[i]) {
			i++
		}
		if i == s {
			return
		}
		name := tag[s:i]
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			return
		}
		i++
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '"' && tag[i] != '\'' {
			return
		}
		q := tag[i]
		i++
		e := bytes.IndexByte(tag[i:], q)
		if e < 0 {
			return
		}
		fn(name, tag[i:i+e])
		i += e + 1
	}
}
