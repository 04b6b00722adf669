package vips

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// xmpProps parses an XMP packet (failing the test if it is not well-formed)
// and returns the properties of its rdf:Description elements, both
// attributes and child elements, keyed "namespace-URI local" with their
// concatenated text (or attribute value).
func xmpProps(t *testing.T, b []byte) map[string]string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	props := map[string]string{}
	var stack []xml.Name
	var prop string
	propDepth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output is not well-formed XML: %v\n%s", err, b)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tk.Name)
			n := len(stack)
			if tk.Name.Space == nsRDF && tk.Name.Local == "Description" {
				for _, a := range tk.Attr {
					if a.Name.Space != "xmlns" && a.Name.Space != "" && !(a.Name.Space == nsRDF && a.Name.Local == "about") {
						props[a.Name.Space+" "+a.Name.Local] = a.Value
					}
				}
			} else if n >= 2 && stack[n-2].Space == nsRDF && stack[n-2].Local == "Description" {
				prop, propDepth = tk.Name.Space+" "+tk.Name.Local, n
				props[prop] += ""
			}
		case xml.EndElement:
			if len(stack) == propDepth {
				propDepth = 0
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if propDepth > 0 {
				props[prop] += strings.TrimSpace(string(tk))
			}
		}
	}
	return props
}

const xmpHead = `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`
const xmpTail = `</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`

const (
	nsXMPBasic = "http://ns.adobe.com/xap/1.0/"
	nsEXIF     = "http://ns.adobe.com/exif/1.0/"
	nsPS       = "http://ns.adobe.com/photoshop/1.0/"
)

func TestFilterXMP(t *testing.T) {
	type want struct {
		kept    map[string]string // property -> text it must contain
		dropped []string
	}
	deep := strings.Repeat("<rdf:Bag><rdf:li>", 70) + "x" + strings.Repeat("</rdf:li></rdf:Bag>", 70)
	cases := []struct {
		name string
		in   string
		ok   bool
		want want
	}{
		{
			name: "attribute form",
			in: xmpHead + `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmp:CreatorTool="Editor 9" xmpRights:Marked="True"
 xmpRights:WebStatement="https://example.com/licence?a=1&amp;b=2" photoshop:City="Paris"/>` + xmpTail,
			ok: true,
			want: want{
				kept:    map[string]string{nsXMPRights + " Marked": "True", nsXMPRights + " WebStatement": "a=1&b=2"},
				dropped: []string{nsXMPBasic + " CreatorTool", nsPS + " City"},
			},
		},
		{
			name: "element form",
			in: xmpHead + `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:cc="http://creativecommons.org/ns#">
 <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2026 ACME &lt;Corp&gt;</rdf:li></rdf:Alt></dc:rights>
 <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li><rdf:li>John Roe</rdf:li></rdf:Seq></dc:creator>
 <dc:subject><rdf:Bag><rdf:li>secret keyword</rdf:li></rdf:Bag></dc:subject>
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">private caption</rdf:li></rdf:Alt></dc:description>
 <cc:license rdf:resource="https://creativecommons.org/licenses/by/4.0/"/>
 <xmp:CreatorTool>Editor 9</xmp:CreatorTool>
 <exif:GPSLatitude>48,51.0N</exif:GPSLatitude>
</rdf:Description>` + xmpTail,
			ok: true,
			want: want{
				kept: map[string]string{nsDC + " rights": "© 2026 ACME <Corp>", nsDC + " creator": "Jane DoeJohn Roe",
					nsCC + " license": ""},
				dropped: []string{nsDC + " subject", nsDC + " description", nsXMPBasic + " CreatorTool", nsEXIF + " GPSLatitude"},
			},
		},
		{
			name: "prefix aliasing",
			in: `<x:xmpmeta xmlns:x="adobe:ns:meta/"><r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<r:Description xmlns:elements="http://purl.org/dc/elements/1.1/" xmlns:dc="http://example.com/not-dc/">
<elements:publisher><r:Bag><r:li>Pub House</r:li></r:Bag></elements:publisher>
<dc:rights>fake rights</dc:rights>
</r:Description></r:RDF></x:xmpmeta>`,
			ok: true,
			want: want{
				kept:    map[string]string{nsDC + " publisher": "Pub House"},
				dropped: []string{nsDC + " rights", "http://example.com/not-dc/ rights"},
			},
		},
		{
			name: "several descriptions, one empty after filtering",
			in: xmpHead + `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:Rating>5</xmp:Rating></rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:contributor="Helper"/>` + xmpTail,
			ok: true,
			want: want{
				kept:    map[string]string{nsDC + " contributor": "Helper"},
				dropped: []string{nsXMPBasic + " Rating"},
			},
		},
		{
			name: "nothing kept",
			in: xmpHead + `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Editor 9">
<xmp:Rating>5</xmp:Rating></rdf:Description>` + xmpTail,
		},
		{name: "malformed", in: xmpHead + `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights>x</dc:creator></rdf:Description>` + xmpTail},
		{name: "truncated", in: xmpHead + `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights>x</dc:rights>`},
		{name: "doctype", in: `<!DOCTYPE x [<!ENTITY a "b">]>` + xmpHead + `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:rights="x"/>` + xmpTail},
		{name: "too deep", in: xmpHead + `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights>` + deep + `</dc:rights></rdf:Description>` + xmpTail},
		{name: "oversized", in: xmpHead + `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:rights="x"/>` + strings.Repeat(" ", maxXMPSize) + xmpTail},
		{name: "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ok := filterXMP([]byte(c.in))
			if ok != c.ok {
				t.Fatalf("got ok=%v; want %v (output %q)", ok, c.ok, out)
			}
			if !ok {
				if out != nil {
					t.Fatalf("got output %q with ok=false; want nil", out)
				}
				return
			}
			props := xmpProps(t, out)
			for k, v := range c.want.kept {
				got, found := props[k]
				if !found || !strings.Contains(got, v) {
					t.Errorf("property %q: got %q (present=%v); want it kept containing %q\n%s", k, got, found, v, out)
				}
			}
			for _, k := range c.want.dropped {
				if _, found := props[k]; found {
					t.Errorf("property %q: got kept; want dropped\n%s", k, out)
				}
			}
			if len(props) != len(c.want.kept) {
				t.Errorf("got %d properties %v; want %d", len(props), props, len(c.want.kept))
			}
			hadPacket := strings.Contains(c.in, "<?xpacket begin")
			if got := bytes.HasPrefix(out, []byte("<?xpacket begin")) && bytes.HasSuffix(out, []byte(`<?xpacket end="w"?>`)); got != hadPacket {
				t.Errorf("xpacket wrapper: got %v; want %v", got, hadPacket)
			}
			// Filtering is idempotent.
			again, ok := filterXMP(out)
			if !ok || !bytes.Equal(again, out) {
				t.Errorf("second pass: got %q (ok=%v); want the same packet", again, ok)
			}
		})
	}
}

// withJPEGXMP inserts an XMP APP1 segment right after the SOI marker of a
// JPEG (govips' SetBlob cannot be used: it hands a Go pointer to cgo).
func withJPEGXMP(t *testing.T, jpeg, packet []byte) []byte {
	t.Helper()
	if len(jpeg) < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8 {
		t.Fatalf("fixture: not a JPEG")
	}
	payload := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), packet...)
	n := len(payload) + 2
	seg := append([]byte{0xff, 0xe1, byte(n >> 8), byte(n)}, payload...)
	out := append([]byte{0xff, 0xd8}, seg...)
	return append(out, jpeg[2:]...)
}

func TestXMPPipeline(t *testing.T) {
	p := newTestProcessor(t, nil)
	im := gvLoad(t, pngBytes(t, testPattern(64, 48, false)))
	packet := xmpHead + `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmp:CreatorTool="Editor 9"><dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Copyright ACME</rdf:li></rdf:Alt></dc:rights>
 <xmp:Rating>4</xmp:Rating></rdf:Description>` + xmpTail
	src := withJPEGXMP(t, exportJPEGKeep(t, im), []byte(packet))
	im.Close()
	if chk := gvLoad(t, src); !bytes.Contains(chk.GetBlob("xmp-data"), []byte("CreatorTool")) {
		chk.Close()
		t.Fatalf("fixture: JPEG has no XMP packet")
	} else {
		chk.Close()
	}

	outXMP := func(mod func(o *options.Options)) []byte {
		t.Helper()
		o := defaultOptions()
		o.Format = options.FormatJPEG
		mod(&o)
		out, _ := process(t, p, src, o, nil)
		got := gvLoad(t, out)
		defer got.Close()
		return got.GetBlob("xmp-data")
	}

	x := outXMP(func(o *options.Options) {})
	if len(x) == 0 {
		t.Fatalf("strip+keep_copyright: got no XMP; want dc:rights kept")
	}
	props := xmpProps(t, bytes.TrimRight(x, "\x00"))
	if !strings.Contains(props[nsDC+" rights"], "Copyright ACME") {
		t.Errorf("strip+keep_copyright: got dc:rights %q; want it kept\n%s", props[nsDC+" rights"], x)
	}
	for _, k := range []string{nsXMPBasic + " CreatorTool", nsXMPBasic + " Rating"} {
		if _, found := props[k]; found {
			t.Errorf("strip+keep_copyright: got %q kept; want dropped\n%s", k, x)
		}
	}

	if x := outXMP(func(o *options.Options) { o.KeepCopyright = false }); len(x) != 0 {
		t.Errorf("strip all: got XMP %q; want none", x)
	}
	if x := outXMP(func(o *options.Options) { o.StripMetadata = false }); !bytes.Contains(x, []byte("CreatorTool")) {
		t.Errorf("keep all: got XMP %q; want the original packet", x)
	}
}
