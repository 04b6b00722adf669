// Package svgsan sanitises SVG documents that imgedge passes through to
// clients (IMGPROXY_SANITIZE_SVG; docs/security.md, "4. SVG").
//
// Sanitize re-serialises the document token by token with encoding/xml and
// keeps only what cannot run script or load anything from outside:
//   - <script>, <iframe>, <form>, <foreignObject> (and other HTML/embedding
//     elements: object, embed, applet, frame, frameset, meta, link, base,
//     audio, video, animation, handler, listener) are removed with their
//     content;
//   - every on* attribute, xml:base and srcdoc are removed; other URL
//     attributes of XHTML/MathML content (src, action, formaction, data,
//     poster, ...) get the "elsewhere" href rule;
//   - href / xlink:href (any prefix: the check is on the local name) must
//     be a #fragment on <use>; http, https, data:image/*, relative or
//     #fragment on <image> and <feImage>; http, https, relative or
//     #fragment elsewhere. Values are entity-decoded by the parser,
//     stripped of whitespace and control characters and compared
//     case-insensitively before checking; others (javascript:,
//     data:text/html, ...) are removed;
//   - animation elements (<set>, <animate>, ...) that target href, a URL
//     attribute or an event handler are removed, so they cannot set a
//     javascript: link later;
//   - style attributes, presentation attributes and <style> elements whose
//     CSS (comments removed, escapes decoded) holds @import, url() to
//     anything but a #fragment, or script-like constructs are removed
//     whole;
//   - the DOCTYPE, processing instructions (xml-stylesheet) and comments
//     are dropped; the XML declaration is rewritten as UTF-8.
//
// Documents in other encodings (UTF-16 or UTF-32 with or without a
// byte-order mark, or an encoding named by the XML declaration) are
// converted to UTF-8 first (ToUTF8).
//
// Entities: only the XML predefined ones and character references are
// expanded, plus internal entities declared in the DOCTYPE whose literal
// value holds no markup or references (as Adobe Illustrator writes them),
// at most MaxEntities of at most MaxEntityValue bytes each and
// MaxEntityExpansion bytes in all. Anything else (external entities: XXE;
// nested references: billion laughs) is undefined, and referring to it is
// a parse error. Nesting deeper than MaxDepth is refused. All failures are
// *options.Error with KindBrokenSVG.
//
// The package has no state; its functions are safe for concurrent use.
package svgsan

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Limits of the sanitiser.
const (
	// MaxDepth is the deepest element nesting accepted.
	MaxDepth = 256
	// MaxEntities is how many internal entities a DOCTYPE may define;
	// further declarations are ignored (references to them fail).
	MaxEntities = 64
	// MaxEntityValue is the longest entity replacement text accepted.
	MaxEntityValue = 1024
	// MaxEntityExpansion bounds the bytes all entity references of a
	// document may expand to.
	MaxEntityExpansion = 1 << 20
	// MaxAttrs is the most attributes one element may have. encoding/xml
	// holds all attributes of a tag at once (~100 bytes each), so without
	// it a 10 MB tag of a="" pairs would take ~250 MB.
	MaxAttrs = 1024
)

// Detect reports whether data looks like an SVG document: the first
// element within the first maxCheckBytes bytes (IMGPROXY_MAX_SVG_CHECK_BYTES;
// <= 0 means imagemeta.DefaultMaxSVGCheckBytes, 32 KiB) is <svg>. It does
// not check well-formedness; Sanitize does.
func Detect(data []byte, maxCheckBytes int) bool {
	return imagemeta.DetectSVG(data, maxCheckBytes)
}

// removed lists the elements dropped with their content (lower-cased local names).
var removed = map[string]bool{
	"script": true, "iframe": true, "form": true, "foreignobject": true,
	"object": true, "embed": true, "applet": true, "frame": true, "frameset": true,
	"meta": true, "link": true, "base": true, "audio": true, "video": true,
	"animation": true, "handler": true, "listener": true, "portal": true,
}

// urlAttrs are attributes (lower-cased local names) that some namespace
// (SVG, XHTML, MathML) dereferences as a URL; they get the "elsewhere" href
// rule (http, https, relative or #fragment). srcdoc holds a whole document.
var urlAttrs = map[string]bool{
	"src": true, "action": true, "formaction": true, "data": true, "poster": true,
	"background": true, "codebase": true, "lowsrc": true, "dynsrc": true, "ping": true,
}

var animations = map[string]bool{
	"set": true, "animate": true, "animatetransform": true, "animatemotion": true, "animatecolor": true,
}

func brokenf(format string, args ...any) error {
	return options.Errorf(options.KindBrokenSVG, "svg: "+format, args...)
}

// Sanitize appends the sanitised form of the SVG document src to dst and
// returns the extended slice. src is not modified or retained. On error
// dst is returned unextended (its spare capacity may have been written).
// The output is at most about 6×len(src) + MaxEntityExpansion bytes
// (escaping can grow a quote or control character into a character
// reference).
func Sanitize(dst, src []byte) ([]byte, error) {
	return sanitizeWith(dst, src, nil)
}

// SanitizeStyled is Sanitize with a <style> element holding css added as
// the first child of the root <svg> (imgproxy Pro's style option). The
// added element goes through the same rules as the document's own: CSS
// that could load a resource or run script drops it whole, and its text is
// escaped, so it cannot close the element or add markup.
func SanitizeStyled(dst, src []byte, css string) ([]byte, error) {
	return sanitizeWith(dst, src, []byte(css))
}

func sanitizeWith(dst, src, css []byte) ([]byte, error) {
	s := sanitizer{out: dst, styleStart: -1, inject: css}
	src, err := ToUTF8(src)
	if err != nil {
		return dst, err
	}
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) // UTF-8 BOM (Windows editors)
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = true
	d.CharsetReader = charsetReader
	if err := checkAttrCounts(src); err != nil {
		return dst, err
	}
	if s.entities, err = declaredEntities(src); err != nil {
		return dst, err
	}
	if s.entities != nil {
		d.Entity = s.entities
	}
	if err := s.run(d); err != nil {
		return dst, err
	}
	return s.out, nil
}

type sanitizer struct {
	out      []byte
	entities map[string]string

	stack       []xml.Name // open elements (including skipped ones) for end-tag matching
	skipFrom    int        // depth at which a removed element started; 0 = not skipping
	rootSeen    bool
	rootClosed  bool
	pendingOpen bool // a start tag is written without its '>' (may become "/>")

	styleStart   int  // len(out) before the outermost <style>; -1 outside
	stylePending bool // pendingOpen before that <style>
	styleDepth   int
	css          []byte

	inject []byte // CSS to add as a <style> first in the root (SanitizeStyled); nil = none
}

func (s *sanitizer) run(d *xml.Decoder) error {
	first := true
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return options.Wrap(options.KindBrokenSVG, "svg: cannot parse", err)
			}
			return options.Wrap(options.KindBrokenSVG, "svg: cannot read", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := s.start(t); err != nil {
				return err
			}
		case xml.EndElement:
			if err := s.end(t); err != nil {
				return err
			}
		case xml.CharData:
			if err := s.text(t); err != nil {
				return err
			}
		case xml.ProcInst:
			if first && t.Target == "xml" {
				s.out = append(s.out, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"...)
			}
		case xml.Directive, xml.Comment:
			// Dropped: DOCTYPE (entities were read by declaredEntities), comments.
		}
		first = false
	}
	if len(s.stack) != 0 {
		return brokenf("unexpected end of document inside <%s>", s.stack[len(s.stack)-1].Local)
	}
	if !s.rootSeen {
		return brokenf("no root element")
	}
	return nil
}

// flush completes a start tag left open for a possible "/>".
func (s *sanitizer) flush() {
	if s.pendingOpen {
		s.out = append(s.out, '>')
		s.pendingOpen = false
	}
}

func (s *sanitizer) start(t xml.StartElement) error {
	if len(s.stack) >= MaxDepth {
		return brokenf("elements nested deeper than %d", MaxDepth)
	}
	local := strings.ToLower(t.Name.Local)
	if len(s.stack) == 0 {
		if s.rootClosed {
			return brokenf("second root element <%s>", t.Name.Local)
		}
		if local != "svg" {
			return brokenf("root element is <%s>, not <svg>", t.Name.Local)
		}
		s.rootSeen = true
	}
	s.stack = append(s.stack, t.Name)
	if s.skipFrom > 0 {
		return nil
	}
	if removed[local] || animations[local] && targetsHref(t.Attr) {
		s.skipFrom = len(s.stack)
		return nil
	}
	if local == "style" {
		if s.styleDepth == 0 {
			s.styleStart, s.stylePending = len(s.out), s.pendingOpen
			s.css = s.css[:0]
		}
		s.styleDepth++
	}
	s.flush()
	s.out = append(s.out, '<')
	s.out = appendName(s.out, t.Name)
	for _, a := range t.Attr {
		if !keepAttr(local, a) {
			continue
		}
		s.out = append(s.out, ' ')
		s.out = appendName(s.out, a.Name)
		s.out = append(s.out, `="`...)
		s.out = appendEscaped(s.out, a.Value, true)
		s.out = append(s.out, '"')
	}
	s.pendingOpen = true
	if len(s.stack) == 1 && s.inject != nil {
		return s.injectStyle(t.Name.Space)
	}
	return nil
}

// injectStyle feeds a <style> element holding s.inject through the
// sanitiser, in the root's namespace prefix.
func (s *sanitizer) injectStyle(prefix string) error {
	name := xml.Name{Space: prefix, Local: "style"}
	css := s.inject
	s.inject = nil
	if err := s.start(xml.StartElement{Name: name}); err != nil {
		return err
	}
	if err := s.text(xml.CharData(css)); err != nil {
		return err
	}
	return s.end(xml.EndElement{Name: name})
}

func (s *sanitizer) end(t xml.EndElement) error {
	if len(s.stack) == 0 {
		return brokenf("unexpected </%s>", t.Name.Local)
	}
	top := s.stack[len(s.stack)-1]
	if top != t.Name {
		return brokenf("element <%s> closed by </%s>", qname(top), qname(t.Name))
	}
	depth := len(s.stack)
	s.stack = s.stack[:depth-1]
	if len(s.stack) == 0 {
		s.rootClosed = true
	}
	if s.skipFrom > 0 {
		if depth == s.skipFrom {
			s.skipFrom = 0
		}
		return nil
	}
	if s.pendingOpen {
		s.out = append(s.out, "/>"...)
		s.pendingOpen = false
	} else {
		s.out = append(s.out, "</"...)
		s.out = appendName(s.out, t.Name)
		s.out = append(s.out, '>')
	}
	if strings.EqualFold(t.Name.Local, "style") && s.styleDepth > 0 {
		if s.styleDepth--; s.styleDepth == 0 {
			if cssDangerous(s.css) { // drop the whole element, as if never started
				s.out, s.pendingOpen = s.out[:s.styleStart], s.stylePending
			}
			s.styleStart = -1
		}
	}
	return nil
}

func (s *sanitizer) text(t xml.CharData) error {
	if len(s.stack) == 0 {
		if len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
			return brokenf("text outside the root element")
		}
		return nil
	}
	if s.skipFrom > 0 {
		return nil
	}
	if len(t) == 0 {
		// An empty CDATA section: writing nothing keeps "<style/>" and
		// "<style><![CDATA[]]></style>" the same, so sanitising is idempotent.
		return nil
	}
	if s.styleDepth > 0 {
		s.css = append(s.css, t...)
	}
	s.flush()
	s.out = appendEscaped(s.out, t, false)
	return nil
}

// targetsHref reports whether an animation element animates an href
// (attributeName="href" or "xlink:href" with any prefix), another URL
// attribute or an event handler.
func targetsHref(attrs []xml.Attr) bool {
	for _, a := range attrs {
		if strings.EqualFold(a.Name.Local, "attributeName") {
			v := strings.ToLower(strings.TrimSpace(a.Value))
			if i := strings.LastIndexByte(v, ':'); i >= 0 {
				v = v[i+1:]
			}
			if v == "href" || v == "base" || urlAttrs[v] || strings.HasPrefix(v, "on") {
				return true
			}
		}
	}
	return false
}

// keepAttr applies the attribute rules to attribute a of element elem
// (lower-cased local name).
func keepAttr(elem string, a xml.Attr) bool {
	local := strings.ToLower(a.Name.Local)
	switch {
	case a.Name.Space == "xmlns" || a.Name.Space == "" && local == "xmlns":
		return true // namespace declarations are never dereferenced
	case strings.HasPrefix(local, "on"):
		return false
	case local == "base" || local == "srcdoc":
		return false // xml:base would rebase relative links
	case local == "href":
		return hrefAllowed(elem, a.Value)
	case urlAttrs[local]:
		return hrefAllowed("", a.Value)
	}
	if strings.ContainsAny(a.Value, "(@\\") && cssDangerous([]byte(a.Value)) {
		return false
	}
	return true
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func appendName(b []byte, n xml.Name) []byte {
	if n.Space != "" {
		b = append(b, n.Space...)
		b = append(b, ':')
	}
	return append(b, n.Local...)
}

// appendEscaped escapes text or an attribute value (always written in
// double quotes). Whitespace characters in attributes are written as
// character references so that they survive attribute normalisation.
func appendEscaped[T ~string | ~[]byte](b []byte, s T, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			// Only "]]>" must be escaped in text; leaving other '>' alone
			// keeps CSS child selectors readable. Attributes escape all.
			// The two characters before '>' are read from the output, not
			// from s: text may arrive in several tokens (CDATA + plain), and
			// the decision must not depend on where a token starts, or a
			// second pass would write it differently.
			if !attr {
				b = append(b, s[last:i]...)
				last = i
				if n := len(b); n < 2 || b[n-1] != ']' || b[n-2] != ']' {
					continue
				}
			}
			esc = "&gt;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\t', '\n', '\r':
			if !attr {
				continue
			}
			esc = [...]string{'\t': "&#9;", '\n': "&#10;", '\r': "&#13;"}[s[i]]
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// checkAttrCounts refuses documents with a start tag of more than MaxAttrs
// attributes, before encoding/xml builds them. It is a linear lexer that
// skips comments, CDATA sections, processing instructions and
// declarations, and counts '=' outside quotes inside start tags.
func checkAttrCounts(src []byte) error {
	skipTo := func(i int, end string) int {
		j := bytes.Index(src[i:], []byte(end))
		if j < 0 {
			return len(src)
		}
		return i + j + len(end)
	}
	for i := 0; i < len(src); {
		j := bytes.IndexByte(src[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := src[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipTo(i+4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipTo(i+9, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipTo(i+2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipTo(i+2, ">") // a DOCTYPE's internal subset may end early here; it only loses precision
		default:
			n := 0
			var quote byte
			i++
			for ; i < len(src); i++ {
				c := src[i]
				if quote != 0 {
					if c == quote {
						quote = 0
					}
					continue
				}
				if c == '"' || c == '\'' {
					quote = c
				} else if c == '=' {
					if n++; n > MaxAttrs {
						return brokenf("more than %d attributes on one element", MaxAttrs)
					}
				} else if c == '>' {
					break
				}
			}
		}
	}
	return nil
}
