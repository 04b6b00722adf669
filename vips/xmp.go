package vips

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
)

// XMP namespaces used by the keep_copyright filter.
const (
	nsXMPMeta   = "adobe:ns:meta/"
	nsRDF       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsDC        = "http://purl.org/dc/elements/1.1/"
	nsXMPRights = "http://ns.adobe.com/xap/1.0/rights/"
	nsCC        = "http://creativecommons.org/ns#"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
)

// Bounds on the XMP packets filterXMP accepts; larger or deeper packets
// are dropped rather than parsed.
const (
	maxXMPSize  = 1 << 20
	maxXMPDepth = 64
)

// xmpDCKept are the Dublin Core properties kept by keep_copyright.
var xmpDCKept = map[string]bool{"rights": true, "creator": true, "contributor": true, "publisher": true}

// keptXMPProperty reports whether a property (resolved namespace URI and
// local name) is kept by keep_copyright.
func keptXMPProperty(n xml.Name) bool {
	switch n.Space {
	case nsDC:
		return xmpDCKept[n.Local]
	case nsXMPRights, nsCC:
		return true
	}
	return false
}

// filterXMP keeps only the copyright properties of an XMP packet:
// dc:rights, dc:creator, dc:contributor, dc:publisher and every
// xmpRights:* and cc:* property, matched by namespace URI, in both the
// element and the attribute (shorthand) form. The result is a fresh,
// well-formed x:xmpmeta/rdf:RDF packet (wrapped in xpacket processing
// instructions when the input had them). ok is false when nothing is kept
// or the packet is malformed, too large or too deeply nested; the caller
// should then drop the XMP. packet is not modified or retained.
func filterXMP(packet []byte) (out []byte, ok bool) {
	packet = bytes.TrimRight(packet, "\x00")
	if len(packet) == 0 || len(packet) > maxXMPSize {
		return nil, false
	}
	f := xmpFilter{prefixes: map[string]string{
		nsXMPMeta: "x", nsRDF: "rdf", nsDC: "dc", nsXMPRights: "xmpRights", nsCC: "cc", nsXML: "xml",
	}}
	if err := f.run(packet); err != nil || f.body.Len() == 0 {
		return nil, false
	}
	var b bytes.Buffer
	wrap := bytes.Contains(packet, []byte("<?xpacket begin"))
	if wrap {
		b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	}
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF`)
	uris := make([]string, 0, len(f.used))
	for u := range f.used {
		uris = append(uris, u)
	}
	sort.Strings(uris)
	for _, u := range uris {
		fmt.Fprintf(&b, " xmlns:%s=\"", f.prefixes[u])
		xml.EscapeText(&b, []byte(u))
		b.WriteByte('"')
	}
	b.WriteByte('>')
	b.Write(f.body.Bytes())
	b.WriteString("</rdf:RDF></x:xmpmeta>")
	if wrap {
		b.WriteString("\n<?xpacket end=\"w\"?>")
	}
	return b.Bytes(), true
}

// xmpFilter is the state of one filterXMP run.
type xmpFilter struct {
	prefixes map[string]string   // namespace URI -> output prefix
	used     map[string]struct{} // URIs to declare on rdf:RDF (never x or xml)
	body     bytes.Buffer        // kept rdf:Description elements
	next     int                 // counter for generated prefixes
}

var errXMPTooDeep = errors.New("xmp: nesting too deep")

func (f *xmpFilter) run(packet []byte) error {
	f.used = map[string]struct{}{nsRDF: {}}
	d := xml.NewDecoder(bytes.NewReader(packet))
	d.Strict = true
	// stack holds the open elements; desc is the depth of the open
	// top-level rdf:Description (0 = none); keep is the depth of the open
	// kept property (0 = none) and skip that of a dropped one.
	var stack []xml.Name
	var desc, keep, skip int
	var cur bytes.Buffer // the current rdf:Description being built
	kept := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name)
			depth := len(stack)
			if depth > maxXMPDepth {
				return errXMPTooDeep
			}
			switch {
			case skip > 0:
			case keep > 0:
				f.writeStart(&cur, t)
			case desc > 0: // a property element of the description
				if keptXMPProperty(t.Name) {
					keep = depth
					kept = true
					f.writeStart(&cur, t)
				} else {
					skip = depth
				}
			case t.Name.Space == nsRDF && t.Name.Local == "Description" && depth >= 2 &&
				stack[depth-2].Space == nsRDF && stack[depth-2].Local == "RDF":
				desc = depth
				cur.Reset()
				kept = false
				cur.WriteString("<rdf:Description")
				for _, a := range t.Attr {
					if keptXMPProperty(a.Name) {
						kept = true
					} else if !(a.Name.Space == nsRDF && a.Name.Local == "about") && a.Name.Space != nsXML {
						continue
					}
					f.writeAttr(&cur, a)
				}
				cur.WriteByte('>')
			}
		case xml.EndElement:
			depth := len(stack)
			stack = stack[:depth-1]
			switch {
			case skip > 0:
				if depth == skip {
					skip = 0
				}
			case keep > 0:
				f.writeEnd(&cur, t.Name)
				if depth == keep {
					keep = 0
				}
			case desc > 0 && depth == desc:
				desc = 0
				if kept {
					cur.WriteString("</rdf:Description>")
					f.body.Write(cur.Bytes())
				}
			}
		case xml.CharData:
			if keep > 0 && skip == 0 {
				xml.EscapeText(&cur, t)
			}
		case xml.Directive:
			return errors.New("xmp: directives are not allowed")
		}
	}
}

// prefix returns the output prefix of a namespace URI, assigning a fresh
// one to unknown namespaces, and records that it must be declared.
func (f *xmpFilter) prefix(uri string) string {
	p, ok := f.prefixes[uri]
	if !ok {
		f.next++
		p = fmt.Sprintf("ns%d", f.next)
		f.prefixes[uri] = p
	}
	if uri != nsXML {
		f.used[uri] = struct{}{}
	}
	return p
}

func (f *xmpFilter) qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return f.prefix(n.Space) + ":" + n.Local
}

func (f *xmpFilter) writeAttr(b *bytes.Buffer, a xml.Attr) {
	b.WriteByte(' ')
	b.WriteString(f.qname(a.Name))
	b.WriteString(`="`)
	xml.EscapeText(b, []byte(a.Value))
	b.WriteByte('"')
}

func (f *xmpFilter) writeStart(b *bytes.Buffer, t xml.StartElement) {
	b.WriteByte('<')
	b.WriteString(f.qname(t.Name))
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue // declarations are regenerated on rdf:RDF
		}
		f.writeAttr(b, a)
	}
	b.WriteByte('>')
}

func (f *xmpFilter) writeEnd(b *bytes.Buffer, n xml.Name) {
	b.WriteString("</")
	b.WriteString(f.qname(n))
	b.WriteByte('>')
}
