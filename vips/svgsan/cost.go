package svgsan

import (
	"bytes"
	"math"

	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Limits of CheckRender: what an SVG may ask of librsvg before it is
// rendered (docs/security.md). librsvg holds every element of a document
// in memory (about 2.5 KB each) and runs every filter primitive over its
// filter region on surfaces of the rendered size (about 30 bytes a pixel in
// all), once for every element the filter applies to; libvips renders an
// SVG in strips, and a filter runs again for each, so the time grows
// faster than the area.
const (
	// MaxElements is the most elements (start tags, <use> included) a
	// rendered document may have.
	MaxElements = 100_000
	// MaxFilterPixels is the largest rendering, in pixels, of a document
	// that applies filters (8 MP: about 250 MB and 3 s for one blur).
	MaxFilterPixels = 8_000_000
	// MaxFilterWork bounds rendered pixels × filter applications × the
	// weight of the heaviest filter (a Gaussian blur weighs 4, a plain
	// primitive 1): about 3 s of librsvg time.
	MaxFilterWork = 256_000_000
	// MaxRegionFactor bounds a filter region: at most this many times the
	// document's viewport (user units) or the element's bounding box.
	MaxRegionFactor = 16
	// MaxBlurFactor bounds a blur's standard deviation: at most this many
	// times the viewport's larger side (or the bounding box).
	MaxBlurFactor = 2
)

// CheckRender refuses an SVG document (UTF-8) whose rendering at
// renderW×renderH pixels would exceed the limits above: too many
// elements, internal entities holding markup (whose expansion the count
// could not see), filter regions or blur deviations far larger than the
// document, or filter work out of proportion to the rendered size. It
// reads the document once, in linear time, without building it. Errors
// are *options.Error with KindBrokenSVG.
func CheckRender(src []byte, renderW, renderH int) error {
	c := costScan{src: src, area: float64(max(renderW, 1)) * float64(max(renderH, 1)), renderW: float64(max(renderW, 1))}
	if err := c.scan(); err != nil {
		return err
	}
	uses := c.uses
	if c.cssFilter {
		uses = max(uses, c.elements)
	}
	if uses == 0 || c.maxWeight == 0 {
		return nil
	}
	uses += c.useElems // <use> repeats filtered content
	if c.area > MaxFilterPixels {
		return brokenf("filters on a %.0f MP rendering (limit %d MP)", c.area/1e6, MaxFilterPixels/1_000_000)
	}
	if work := c.area * float64(uses) * c.maxWeight; work > MaxFilterWork {
		return brokenf("filter work %.0f M (%d applications, weight %.0f, %.1f MP) over the limit of %d M",
			work/1e6, uses, c.maxWeight, c.area/1e6, MaxFilterWork/1_000_000)
	}
	return nil
}

// costScan is the state of one CheckRender pass.
type costScan struct {
	src      []byte
	area     float64 // rendered pixels
	renderW  float64
	elements int
	uses     int // elements with a filter attribute or style
	useElems int
	// cssFilter: a <style> sheet sets filters, on any number of elements.
	cssFilter bool

	vbW, vbH float64 // viewport in user units (viewBox, else width/height)
	scale    float64 // rendered pixels per user unit

	inFilter   bool
	bboxRegion bool // current filter: filterUnits objectBoundingBox
	bboxPrims  bool // current filter: primitiveUnits objectBoundingBox
	weight     float64
	maxWeight  float64
	inStyle    bool
}

func (c *costScan) scan() error {
	src := c.src
	for i := 0; i < len(src); {
		j := bytes.IndexByte(src[i:], '<')
		if j < 0 {
			if c.inStyle && containsFold(src[i:], "filter") {
				c.cssFilter = true
			}
			return nil
		}
		if c.inStyle && containsFold(src[i:i+j], "filter") {
			c.cssFilter = true
		}
		i += j
		rest := src[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(src, i+4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := skipPast(src, i+9, "]]>")
			if c.inStyle && containsFold(src[i:end], "filter") {
				c.cssFilter = true
			}
			i = end
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(src, i+2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			end := imagemeta.DeclEnd(rest)
			if end < 0 {
				end = len(rest) - 1
			}
			if err := checkEntities(rest[:end+1]); err != nil {
				return err
			}
			i += end + 1
		case bytes.HasPrefix(rest, []byte("</")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return nil
			}
			c.endTag(localName(bytes.TrimSpace(rest[2:end])))
			i += end + 1
		default:
			n, err := c.startTag(rest)
			if err != nil {
				return err
			}
			i += n
		}
	}
	return nil
}

// skipPast returns the index just past the first end at or after i, or len(src).
func skipPast(src []byte, i int, end string) int {
	if i > len(src) {
		return len(src)
	}
	j := bytes.Index(src[i:], []byte(end))
	if j < 0 {
		return len(src)
	}
	return i + j + len(end)
}

// checkEntities refuses a DOCTYPE whose internal entities hold markup:
// their expansion would add elements this scan does not see.
func checkEntities(decl []byte) error {
	for {
		i := bytes.Index(decl, []byte("<!ENTITY"))
		if i < 0 {
			return nil
		}
		decl = decl[i+8:]
		q := bytes.IndexAny(decl, `"'>`)
		if q < 0 || decl[q] == '>' {
			continue
		}
		end := bytes.IndexByte(decl[q+1:], decl[q])
		if end < 0 {
			return nil
		}
		if bytes.IndexByte(decl[q+1:q+1+end], '<') >= 0 {
			return brokenf("an internal entity holds markup")
		}
		decl = decl[q+1+end+1:]
	}
}

func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

func containsFold(b []byte, lower string) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(lower))
}

func (c *costScan) endTag(name []byte) {
	switch string(name) {
	case "filter":
		c.closeFilter()
	case "style":
		c.inStyle = false
	}
}

func (c *costScan) closeFilter() {
	if c.inFilter {
		c.maxWeight = max(c.maxWeight, c.weight)
		c.inFilter = false
	}
}

// startTag reads the start tag at t and returns its length.
func (c *costScan) startTag(t []byte) (int, error) {
	n := 1
	for n < len(t) && isNameChar(t[n]) {
		n++
	}
	name := localName(t[1:n])
	if len(name) == 0 { // not a tag: a stray '<'
		return 1, nil
	}
	c.elements++
	if c.elements > MaxElements {
		return 0, brokenf("more than %d elements", MaxElements)
	}
	var attrs tagAttrs
	end, selfClosing := attrs.parse(t, n)
	if c.elements == 1 {
		c.viewport(&attrs)
	}
	if v, ok := attrs.get("filter"); ok && len(bytes.TrimSpace(v)) > 0 && string(bytes.TrimSpace(v)) != "none" {
		c.uses++
	} else if v, ok := attrs.get("style"); ok && containsFold(v, "filter") {
		c.uses++
	}
	switch s := string(name); {
	case s == "use":
		c.useElems++
	case s == "style":
		c.inStyle = !selfClosing
	case s == "filter":
		c.closeFilter()
		if err := c.openFilter(&attrs); err != nil {
			return 0, err
		}
		if selfClosing {
			c.closeFilter()
		}
	case len(s) > 2 && s[:2] == "fe":
		if err := c.primitive(s, &attrs); err != nil {
			return 0, err
		}
	}
	return end, nil
}

// viewport reads the root element's size in user units.
func (c *costScan) viewport(a *tagAttrs) {
	if v, ok := a.get("viewBox"); ok {
		f := bytes.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' })
		if len(f) == 4 {
			c.vbW, c.vbH = parseNum(f[2]), parseNum(f[3])
		}
	}
	if !(c.vbW > 0 && c.vbH > 0) {
		w, _ := a.get("width")
		h, _ := a.get("height")
		c.vbW, c.vbH = parseNum(w), parseNum(h)
	}
	if !(c.vbW > 0 && c.vbH > 0) || math.IsInf(c.vbW, 0) || math.IsInf(c.vbH, 0) {
		c.vbW, c.vbH = 0, 0 // unknown: only the pixel limits apply
		return
	}
	c.scale = c.renderW / c.vbW
}

func (c *costScan) openFilter(a *tagAttrs) error {
	c.inFilter, c.weight = true, 0
	u, _ := a.get("filterUnits")
	c.bboxRegion = string(bytes.TrimSpace(u)) != "userSpaceOnUse"
	p, _ := a.get("primitiveUnits")
	c.bboxPrims = string(bytes.TrimSpace(p)) == "objectBoundingBox"
	for _, dim := range []string{"width", "height"} {
		v, ok := a.get(dim)
		if !ok {
			continue
		}
		f, pct := parseLength(v)
		var rel float64 // region size in units of the viewport or bounding box
		switch {
		case pct:
			rel = f
		case c.bboxRegion:
			rel = f
		case c.vbW > 0:
			rel = f / math.Max(c.vbW, c.vbH)
		}
		if rel > MaxRegionFactor {
			return brokenf("filter region %s %q is over %d times the document", dim, v, MaxRegionFactor)
		}
	}
	return nil
}

// Primitive weights: relative cost of one primitive over its region.
var primWeights = map[string]float64{
	"feGaussianBlur": 4, "feDropShadow": 6, "feDiffuseLighting": 8, "feSpecularLighting": 8,
	"feImage": 2, "feTile": 2, "feDisplacementMap": 2,
}

func (c *costScan) primitive(name string, a *tagAttrs) error {
	w := primWeights[name]
	if w == 0 {
		w = 1
	}
	// pixels: a length in primitive units as rendered pixels.
	pixels := func(v float64) float64 {
		switch {
		case c.bboxPrims && c.vbW > 0:
			return v * math.Max(c.vbW, c.vbH) * c.scale // bounding box ≤ viewport (assumed)
		case c.scale > 0:
			return v * c.scale
		}
		return v
	}
	switch name {
	case "feGaussianBlur", "feDropShadow":
		v, _ := a.get("stdDeviation")
		for _, f := range bytes.Fields(bytes.ReplaceAll(v, []byte(","), []byte(" "))) {
			sd := parseNum(f)
			limit := float64(MaxBlurFactor)
			if !c.bboxPrims {
				limit *= math.Max(c.vbW, c.vbH)
			}
			if limit > 0 && sd > limit {
				return brokenf("blur standard deviation %q over %d times the document", f, MaxBlurFactor)
			}
		}
	case "feMorphology":
		v, _ := a.get("radius")
		rx, ry := numberPair(v, 0)
		// librsvg visits the whole window around each pixel; beyond a
		// radius of about ten pixels its time stops growing.
		kx, ky := math.Min(2*pixels(rx)+1, 21), math.Min(2*pixels(ry)+1, 21)
		w = math.Max(1, kx*ky)
	case "feConvolveMatrix":
		v, _ := a.get("order")
		ox, oy := numberPair(v, 3)
		w = math.Max(1, math.Min(ox*oy, 4096))
	case "feTurbulence":
		v, ok := a.get("numOctaves")
		oct := 1.0
		if ok {
			oct = parseNum(v)
		}
		w = 8 * math.Max(1, math.Min(oct, 64))
	}
	if c.inFilter {
		c.weight += w
	}
	return nil
}

// costAttrs are the attributes CheckRender reads; others are skipped.
var costAttrs = map[string]bool{"filter": true, "style": true, "viewBox": true, "width": true, "height": true,
	"filterUnits": true, "primitiveUnits": true, "stdDeviation": true, "radius": true, "order": true, "numOctaves": true}

// tagAttrs holds the attributes of one start tag that CheckRender reads
// (values not entity-decoded; a repeated name keeps its first value).
type tagAttrs struct {
	n     int
	names [16][]byte
	vals  [16][]byte
}

// parse reads the attributes of the start tag t from offset i and returns
// the tag's length and whether it is self-closing ("/>").
func (a *tagAttrs) parse(t []byte, i int) (int, bool) {
	for i < len(t) {
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			break
		}
		switch t[i] {
		case '>':
			return i + 1, i > 0 && t[i-1] == '/'
		case '/':
			i++
			continue
		}
		s := i
		for i < len(t) && t[i] != '=' && t[i] != '>' && !isSpace(t[i]) && t[i] != '/' {
			i++
		}
		name := t[s:i]
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i >= len(t) || t[i] != '=' {
			if i == s {
				i++ // an unexpected byte: move on
			}
			continue
		}
		i++
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			break
		}
		var val []byte
		if q := t[i]; q == '"' || q == '\'' {
			e := bytes.IndexByte(t[i+1:], q)
			if e < 0 {
				return len(t), false
			}
			val = t[i+1 : i+1+e]
			i += e + 2
		} else {
			s := i
			for i < len(t) && !isSpace(t[i]) && t[i] != '>' {
				i++
			}
			val = t[s:i]
		}
		if name = localName(name); costAttrs[string(name)] && a.n < len(a.names) {
			if _, dup := a.get(string(name)); !dup {
				a.names[a.n], a.vals[a.n] = name, val
				a.n++
			}
		}
	}
	return len(t), false
}

func (a *tagAttrs) get(name string) ([]byte, bool) {
	for i := 0; i < a.n; i++ {
		if string(a.names[i]) == name {
			return a.vals[i], true
		}
	}
	return nil, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == ':' || c == '-' || c == '.' || c >= 0x80
}

// numberPair reads "<x> [<y>]" (y defaults to x; both to def when absent).
func numberPair(v []byte, def float64) (x, y float64) {
	f := bytes.Fields(bytes.ReplaceAll(v, []byte(","), []byte(" ")))
	x, y = def, def
	if len(f) > 0 {
		x = parseNum(f[0])
		y = x
	}
	if len(f) > 1 {
		y = parseNum(f[1])
	}
	return x, y
}

// parseNum reads a leading number (ignoring a unit); NaN, infinities and
// garbage read as 0.
func parseNum(v []byte) float64 {
	f, _ := parseLength(v)
	return f
}

// parseLength reads a length: a number with an optional unit, converted
// to user units (px) at 96 DPI (em and ex at 16 px); pct reports a
// percentage, returned as a fraction. Garbage reads as 0.
func parseLength(v []byte) (f float64, pct bool) {
	x, unit, ok := imagemeta.SplitSVGLength(v)
	if !ok {
		return 0, false
	}
	switch unit {
	case "%":
		return x / 100, true
	case "pt":
		x *= 96.0 / 72
	case "pc":
		x *= 16
	case "mm":
		x *= 96 / 25.4
	case "cm":
		x *= 96 / 2.54
	case "in":
		x *= 96
	case "em", "ex":
		x *= 16
	}
	return x, false
}
