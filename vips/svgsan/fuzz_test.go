package svgsan

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// checkSafe re-parses sanitised output and asserts the invariants that
// make it safe, independently of how Sanitize got there.
func checkSafe(t testing.TB, out []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(out))
	var stack []string
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			local := strings.ToLower(tk.Name.Local)
			if removed[local] {
				t.Fatalf("output keeps <%s>:\n%s", tk.Name.Local, out)
			}
			for _, a := range tk.Attr {
				al := strings.ToLower(a.Name.Local)
				if strings.HasPrefix(al, "on") && a.Name.Space != "xmlns" || al == "base" {
					t.Fatalf("output keeps attribute %s:\n%s", al, out)
				}
				if urlAttrs[al] && !hrefAllowed("", a.Value) || al == "srcdoc" {
					t.Fatalf("output keeps %s=%q:\n%s", al, a.Value, out)
				}
				if al == "href" && !hrefAllowed(local, a.Value) {
					t.Fatalf("output keeps href %q on <%s>:\n%s", a.Value, local, out)
				}
				// CSS can only act where a value has a function, an at-rule
				// or an escape (javascript: outside href is inert text).
				if a.Name.Space != "xmlns" && al != "xmlns" && strings.ContainsAny(a.Value, "(@\\") && cssDangerous([]byte(a.Value)) {
					t.Fatalf("output keeps dangerous %s=%q:\n%s", al, a.Value, out)
				}
				if al == "attributename" && animations[local] && targetsHref(tk.Attr) {
					t.Fatalf("output keeps an href animation:\n%s", out)
				}
			}
			stack = append(stack, local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, e := range stack {
				if e == "style" && cssDangerous(tk) {
					t.Fatalf("output keeps dangerous CSS %q:\n%s", tk, out)
				}
			}
		case xml.ProcInst:
			if tk.Target != "xml" {
				t.Fatalf("output keeps <?%s?>", tk.Target)
			}
		case xml.Directive:
			t.Fatalf("output keeps <!%s>", tk)
		}
	}
}

// FuzzSanitize: never panics; errors are KindBrokenSVG; output is safe
// (checkSafe), bounded and a fixed point of Sanitize. Seeds: the attack
// and typical documents of the tests plus testdata/fuzz/FuzzSanitize.
func FuzzSanitize(f *testing.F) {
	for _, s := range seedDocs() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := Sanitize(nil, src)
		if err != nil {
			if k := options.KindOf(err); k != options.KindBrokenSVG {
				t.Fatalf("got kind %v (%v); want broken svg", k, err)
			}
			return
		}
		if len(out) > 6*len(src)+MaxEntityExpansion+64 {
			t.Fatalf("output %d bytes from %d", len(out), len(src))
		}
		checkSafe(t, out)
		again, err := Sanitize(nil, out)
		if err != nil {
			t.Fatalf("output rejected: %v\n%q", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
	})
}

func seedDocs() []string {
	return []string{
		typicalSVG,
		svgOpen + `<script>alert(1)</script><a xlink:href="javascript:alert(1)" onclick="x">x</a></svg>`,
		svgOpen + `<use href="http://evil/x#a"/><image href="data:text/html,x"/><feImage href="#f"/></svg>`,
		svgOpen + `<style>@import url(x.css); .a{fill:url(#g)}</style><rect style="background:u\72l(x)"/></svg>`,
		svgOpen + `<set attributeName="xlink:href" to="javascript:1"/><foreignObject><p/></foreignObject></svg>`,
		`<!DOCTYPE svg [<!ENTITY a "b"><!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&a;&#106;</svg>`,
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><svg a='\xe9'/>",
		"<?xml version=\"1.0\" encoding=\"windows-1252\"?><svg a='\x80'/>",
		"\xff\xfe<\x00s\x00v\x00g\x00 \x00a\x00=\x00'\x00\xe9\x00'\x00/\x00>\x00", // UTF-16LE with a byte-order mark
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzSanitize/seed-* when
// SVGSAN_WRITE_SEEDS=1 (crashers are kept there under their own names).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("SVGSAN_WRITE_SEEDS") != "1" {
		t.Skip("set SVGSAN_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSanitize")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seedDocs() {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "seed-"+strconv.Itoa(i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
