package svgsan

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

const svgOpen = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">`

// typicalSVG is an editor-style document: prolog, DOCTYPE with Illustrator
// entities, defs, gradients, a fragment <use>, an http <image>, CSS.
const typicalSVG = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Generator: test -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_svg "http://www.w3.org/2000/svg">
	<!ENTITY ns_xlink "http://www.w3.org/1999/xlink">
]>
<svg xmlns="&ns_svg;" xmlns:xlink="&ns_xlink;" version="1.1" width="240" height="120" viewBox="0 0 240 120">
  <title>Logo &amp; "mark"</title>
  <defs>
    <linearGradient id="g" x1="0" x2="1">
      <stop offset="0" stop-color="#f60"/>
      <stop offset="1" stop-color="#06f"/>
    </linearGradient>
    <style type="text/css"><![CDATA[
      .a { fill: url(#g); stroke: #333; stroke-width: 2 }
      .b { font: 12px sans-serif }
    ]]></style>
    <path id="p" d="M10 10 L 230 10 L 120 110 Z"/>
  </defs>
  <g transform="translate(0,0)" class="a">
    <use xlink:href="#p" fill="url(#g)"/>
    <rect x="5" y="5" width="20" height="20" style="fill:url('#g');opacity:.5"/>
    <image x="0" y="0" width="10" height="10" href="https://example.com/i.png"/>
    <image x="0" y="0" width="10" height="10" xlink:href="data:image/png;base64,iVBORw0KGgo="/>
    <a href="https://example.com/"><text x="20" y="60" class="b">Hello &lt;world&gt;</text></a>
  </g>
</svg>
`

func sanitize(t *testing.T, src string) string {
	t.Helper()
	out, err := Sanitize(nil, []byte(src))
	if err != nil {
		t.Fatalf("Sanitize: %v\ninput: %s", err, src)
	}
	// The output is well-formed and a fixed point.
	checkSafe(t, out)
	again, err := Sanitize(nil, out)
	if err != nil {
		t.Fatalf("sanitising the output: %v\noutput: %s", err, out)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("not idempotent:\nfirst:  %s\nsecond: %s", out, again)
	}
	return string(out)
}

func wantBroken(t *testing.T, src string) {
	t.Helper()
	out, err := Sanitize([]byte("prefix"), []byte(src))
	var e *options.Error
	if !errors.As(err, &e) || e.Kind != options.KindBrokenSVG {
		t.Fatalf("got %q, %v; want a KindBrokenSVG error\ninput: %.200s", out, err, src)
	}
	if string(out) != "prefix" {
		t.Fatalf("got dst %q after error; want it unextended", out)
	}
}

func TestSanitizeAttacks(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		absent  []string // case-insensitive
		present []string
	}{
		{"script", `<script>alert(1)</script><script type="text/ecmascript"><![CDATA[alert(2)]]></script><rect/>`, []string{"script", "alert"}, []string{"<rect/>"}},
		{"prefixed script", `<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script><SCRIPT>alert(2)</SCRIPT>`, []string{"script", "alert"}, nil},
		{"event handlers", `<rect onclick="a()" ONMOUSEOVER="b()" x:onload="c()" xmlns:x="urn:x" width="1"/><set attributeName="onclick" to="d()"/>`, []string{"onclick", "onmouseover", "onload", "a()", "b()", "c()", "d()"}, []string{`width="1"`}},
		{"javascript href", `<a href="javascript:alert(1)"><text>x</text></a>`, []string{"href", "javascript"}, []string{"<text>x</text>"}},
		{"gt in text", `<style>g > rect{fill:red}</style><text>a]]&gt;b 1 &gt; 0</text>`, nil, []string{"g > rect", "a]]&gt;b 1 > 0"}},
		{"javascript xlink mixed case", `<a xlink:href="JaVaScRiPt:alert(1)">x</a>`, []string{"href", "javascript"}, nil},
		{"javascript decimal entity", `<a href="&#106;avascript:alert(1)">x</a>`, []string{"href", "avascript"}, nil},
		{"javascript hex entity", `<a href="&#x6A;&#x61;vascript&#x3a;alert(1)">x</a>`, []string{"href", "vascript"}, nil},
		{"javascript tab newline", `<a href=" &#9;java&#x09;scr&#10;ipt:alert(1)">x</a>`, []string{"href", "scr"}, nil},
		{"javascript leading spaces", `<a href="   javascript:alert(1)">x</a>`, []string{"href"}, nil},
		{"vbscript", `<a href="vbscript:msgbox(1)">x</a>`, []string{"href"}, nil},
		{"data html on a", `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, []string{"href", "data:"}, nil},
		{"data html on image", `<image href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"/>`, []string{"href", "data:"}, []string{"<image/>"}},
		{"javascript on image", `<image xlink:href="javascript:alert(1)"/>`, []string{"href"}, nil},
		{"rebound xlink prefix", `<a xmlns:foo="http://www.w3.org/1999/xlink" foo:href="javascript:alert(1)">x</a>`, []string{"foo:href", "javascript"}, []string{`xmlns:foo=`}},
		{"use external", `<use href="http://evil.example/x.svg#a"/><use xlink:href="other.svg#b"/><use href="data:image/svg+xml,x"/>`, []string{"href", "evil", "other"}, []string{"<use/>"}},
		{"use fragment", `<use xlink:href="#a"/>`, nil, []string{`<use xlink:href="#a"/>`}},
		{"image allowed", `<image href="https://example.com/a.png"/><image href="img/a.png"/><image href="data:image/png;base64,AA=="/>`, nil,
			[]string{`href="https://example.com/a.png"`, `href="img/a.png"`, `href="data:image/png;base64,AA=="`}},
		{"feImage", `<filter id="f"><feImage href="javascript:alert(1)"/><feImage xlink:href="data:text/html,x"/><feImage href="#shape"/></filter>`,
			[]string{"javascript", "data:"}, []string{`<feImage href="#shape"/>`}},
		{"animate href", `<a href="#x"><set attributeName="href" to="javascript:alert(1)"/><animate attributeName="xlink:href" values="javascript:alert(1)"/><animate attributeName="x" to="5"/>x</a>`,
			[]string{"javascript", "<set"}, []string{`<animate attributeName="x" to="5"/>`}},
		{"foreignObject", `<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script><img src="x" onerror="alert(2)"/></body></foreignObject><rect/>`,
			[]string{"foreignobject", "body", "alert", "img"}, []string{"<rect/>"}},
		{"iframe form embed", `<iframe src="http://evil"/><form action="http://evil"><input/></form><embed src="x"/><object data="x"/>`,
			[]string{"iframe", "form", "input", "embed", "object", "evil"}, nil},
		{"style attr url", `<rect style="fill:red;background:url(http://evil.example/a.png)"/><rect style="fill:url(#g)"/>`,
			[]string{"evil", "background"}, []string{`<rect style="fill:url(#g)"/>`}},
		{"style attr escaped url", `<rect style="background:u\72 l(http://evil.example/a)"/><rect style="background:\75\72\6c(//evil.example/b)"/>`, []string{"evil", "style"}, nil},
		{"style attr import", `<rect style="@import 'http://evil.example/x.css'"/><rect style="@\69mport 'y.css'"/>`, []string{"import", "evil"}, nil},
		{"style attr expression", `<rect style="width:expression(alert(1))"/><rect style="behavior:url(x.htc)"/>`, []string{"expression", "behavior", "alert"}, nil},
		{"style attr image-set", `<rect style="background:image-set('http://evil.example/a.png' 1x)"/>`, []string{"evil"}, nil},
		{"presentation url", `<rect fill="url(http://evil.example/p.svg#x)"/><rect filter="url( 'https://evil.example/f.svg#f' )"/><rect fill="url(#ok)"/>`,
			[]string{"evil"}, []string{`<rect fill="url(#ok)"/>`}},
		{"style element import", `<style>@import url(http://evil.example/x.css);</style><rect/>`, []string{"<style", "import", "evil"}, []string{"<rect/>"}},
		{"style element url", `<style><![CDATA[.a{background:url('http://evil.example/a')}]]></style><g/>`, []string{"style", "evil"}, []string{"<g/>"}},
		{"style element comment trick", `<style>.a{background:ur/* x */l(http://evil.example/a)}</style>`, []string{"style", "evil"}, nil},
		{"style element fragment", `<style>.a{fill:url(#g)}</style>`, nil, []string{`<style>.a{fill:url(#g)}</style>`}},
		{"xml-stylesheet", `<rect/>`, []string{"xml-stylesheet"}, nil},
		{"xhtml namespace", `<g xmlns="http://www.w3.org/1999/xhtml"><img src="javascript:alert(1)"/><button formaction="javascript:alert(2)"/><iframe srcdoc="x"/><img src="https://example.com/a.png"/></g>`,
			[]string{"javascript", "srcdoc", "iframe"}, []string{`<img/>`, `<button/>`, `<img src="https://example.com/a.png"/>`}},
		{"animate src", `<set attributeName="src" to="javascript:alert(1)"/><animate attributeName="onclick" to="alert(1)"/>`, []string{"javascript", "alert"}, nil},
		{"xml base", `<a xml:base="javascript:alert(1)//" href="x">x</a>`, []string{"base", "javascript"}, []string{`href="x"`}},
		{"escaped markup stays text", `<text>&lt;script&gt;alert(1)&lt;/script&gt;</text>`, []string{"<script"}, []string{"&lt;script>"}},
		{"cdata markup stays text", `<text><![CDATA[<script>alert(1)</script>]]></text>`, []string{"<script"}, []string{"&lt;script>"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := `<?xml-stylesheet type="text/css" href="http://evil.example/x.css"?>` + svgOpen + c.body + `</svg>`
			out := sanitize(t, src)
			body := strings.TrimPrefix(out, svgOpen)
			for _, a := range c.absent {
				if strings.Contains(strings.ToLower(body), strings.ToLower(a)) {
					t.Fatalf("got %s; want no %q", out, a)
				}
			}
			for _, p := range c.present {
				if !strings.Contains(body, p) {
					t.Fatalf("got %s; want %q kept", out, p)
				}
			}
		})
	}
}

func TestSanitizeTypical(t *testing.T) {
	out := sanitize(t, typicalSVG)
	for _, p := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"`,
		`<use xlink:href="#p" fill="url(#g)"/>`, `style="fill:url('#g');opacity:.5"`,
		`href="https://example.com/i.png"`, `xlink:href="data:image/png;base64,iVBORw0KGgo="`,
		`<a href="https://example.com/">`, `Hello &lt;world>`, `<title>Logo &amp; "mark"</title>`, `fill: url(#g)`,
	} {
		if !strings.Contains(out, p) {
			t.Errorf("got %s\nwant %q kept", out, p)
		}
	}
	for _, a := range []string{"DOCTYPE", "ENTITY", "Generator", "&ns_svg;"} {
		if strings.Contains(out, a) {
			t.Errorf("got %s\nwant no %q", out, a)
		}
	}
	// Same elements in the same order as the input.
	if got, want := elements(t, out), elements(t, typicalSVG); got != want {
		t.Fatalf("got elements %s; want %s", got, want)
	}
	if len(out) > len(typicalSVG) {
		t.Fatalf("got %d bytes from %d; want no growth for a typical file", len(out), len(typicalSVG))
	}
}

// elements lists the element names of a document via the standard
// decoder (with the typical document's entities).
func elements(t *testing.T, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Entity = map[string]string{"ns_svg": "http://www.w3.org/2000/svg", "ns_xlink": "http://www.w3.org/1999/xlink"}
	var names []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return strings.Join(names, ",")
		}
		if err != nil {
			t.Fatalf("%v in %s", err, doc)
		}
		if s, ok := tok.(xml.StartElement); ok {
			names = append(names, s.Name.Local)
		}
	}
}

func TestSanitizeRejects(t *testing.T) {
	lol := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
		`<svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>`
	quadratic := `<!DOCTYPE svg [<!ENTITY a "` + strings.Repeat("A", MaxEntityValue) + `">]><svg><text>` +
		strings.Repeat("&a;", MaxEntityExpansion/MaxEntityValue+1) + `</text></svg>`
	for _, c := range []struct{ name, src string }{
		{"empty", ""},
		{"not xml", "hello"},
		{"html root", `<html><body><svg/></body></html>`},
		{"unclosed", `<svg><g>`},
		{"mismatched", `<svg><g></svg>`},
		{"mismatched in removed", `<svg><script><a></b></script></svg>`},
		{"stray end", `<svg/></g>`},
		{"two roots", `<svg/><svg/>`},
		{"text after root", `<svg/>junk`},
		{"unquoted attribute", `<svg width=10/>`},
		{"undefined entity", `<svg>&nbsp;</svg>`},
		{"xxe system", `<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg><text>&xxe;</text></svg>`},
		{"xxe public", `<!DOCTYPE svg [<!ENTITY xxe PUBLIC "-//x" "http://evil.example/x">]><svg>&xxe;</svg>`},
		{"parameter entity", `<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]><svg>&x;</svg>`},
		{"billion laughs", lol},
		{"quadratic blowup", quadratic},
		{"entity with markup", `<!DOCTYPE svg [<!ENTITY s "<script>alert(1)</script>">]><svg>&s;</svg>`},
		{"attribute flood", "<svg" + strings.Repeat(` a=""`, MaxAttrs+1) + "/>"},
		{"deep nesting", "<svg>" + strings.Repeat("<g>", MaxDepth) + strings.Repeat("</g>", MaxDepth) + "</svg>"},
		{"very deep nesting", "<svg>" + strings.Repeat("<g>", 100000)},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><svg/>`},
		{"bad utf8", "<svg>\xff\xfe</svg>"},
		{"control char", "<svg><a href=\"java\x01script:x\"/></svg>"},
	} {
		t.Run(c.name, func(t *testing.T) { wantBroken(t, c.src) })
	}
}

func TestSanitizeAccepts(t *testing.T) {
	// An unused external entity is harmless once the DOCTYPE is dropped.
	out := sanitize(t, `<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg><rect/></svg>`)
	if out != `<svg><rect/></svg>` {
		t.Fatalf("got %q; want %q", out, `<svg><rect/></svg>`)
	}
	// Attributes just within the limit; '=' in comments and CDATA do not count.
	many := "<svg"
	for i := 0; i < MaxAttrs; i++ {
		many += " a" + strconv.Itoa(i) + `="="`
	}
	many += "><!-- " + strings.Repeat("<a=", 2*MaxAttrs) + " --><style><![CDATA[" + strings.Repeat("<b=", 2*MaxAttrs) + "]]></style></svg>"
	if got := sanitize(t, many); !strings.Contains(got, `a1023="="`) {
		t.Fatalf("got %.80q...; want all attributes kept", got)
	}
	// Nesting just within the limit.
	deep := "<svg>" + strings.Repeat("<g>", MaxDepth-1) + strings.Repeat("</g>", MaxDepth-1) + "</svg>"
	if got := sanitize(t, deep); !strings.HasPrefix(got, "<svg><g><g>") {
		t.Fatalf("got %.40q", got)
	}
	// ISO-8859-1 input becomes UTF-8 with a matching declaration.
	out = sanitize(t, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><svg><text>caf\xe9</text></svg>")
	if want := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg><text>café</text></svg>"; out != want {
		t.Fatalf("got %q; want %q", out, want)
	}
	// Attribute values keep quotes and whitespace characters exactly.
	out = sanitize(t, `<svg><text a='say "hi"' b="x&#9;y&#10;z">t</text></svg>`)
	if want := `<svg><text a="say &quot;hi&quot;" b="x&#9;y&#10;z">t</text></svg>`; out != want {
		t.Fatalf("got %q; want %q", out, want)
	}
	// A UTF-8 byte order mark is accepted.
	if out = sanitize(t, "\xef\xbb\xbf<svg/>"); out != "<svg/>" {
		t.Fatalf("got %q; want %q", out, "<svg/>")
	}
	// Appends to dst.
	got, err := Sanitize([]byte("head:"), []byte(`<svg/>`))
	if err != nil || string(got) != "head:<svg/>" {
		t.Fatalf("got %q, %v; want %q", got, err, "head:<svg/>")
	}
}

func TestDetect(t *testing.T) {
	if !Detect([]byte(typicalSVG), 0) {
		t.Fatal("got false for the typical SVG; want true")
	}
	if Detect([]byte(`<html><svg/></html>`), 0) {
		t.Fatal("got true for HTML; want false")
	}
	if Detect([]byte(typicalSVG), 100) {
		t.Fatal("got true with a 100-byte window before <svg>; want false")
	}
}

func TestHrefRules(t *testing.T) {
	for _, c := range []struct {
		elem, href string
		want       bool
	}{
		{"a", "#x", true}, {"a", "x.html", true}, {"a", "//example.com/x", true}, {"a", "HTTPS://example.com", true},
		{"a", "javascript:x", false}, {"a", "jav\tascript:x", false}, {"a", "mailto:x@y", false}, {"a", "data:image/png,x", false},
		{"use", "#x", true}, {"use", "x.svg#y", false}, {"use", "https://x/y#z", false}, {"use", " #x", true},
		{"image", "data:image/svg+xml,x", true}, {"image", "DATA:IMAGE/PNG;base64,x", true}, {"image", "data:text/html,x", false},
		{"image", "data:,x", false}, {"feimage", "data:image/png,x", true}, {"image", "file:///etc/passwd", false},
		{"a", "1http:x", true}, // not a scheme: a relative path
	} {
		if got := hrefAllowed(c.elem, c.href); got != c.want {
			t.Errorf("hrefAllowed(%q, %q): got %v; want %v", c.elem, c.href, got, c.want)
		}
	}
}
