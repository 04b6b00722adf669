package svgsan

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/imgedge/imgedge/options"
)

const encDoc = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>café ☕ 日本</title><rect width="10" height="10"/></svg>`

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xfeff}, u...)
	}
	out := make([]byte, 0, 2*len(u))
	for _, c := range u {
		if bigEndian {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

func utf32Bytes(s string, bigEndian, bom bool) []byte {
	r := []rune(s)
	if bom {
		r = append([]rune{0xfeff}, r...)
	}
	var out []byte
	for _, c := range r {
		if bigEndian {
			out = append(out, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
		}
	}
	return out
}

func TestToUTF8(t *testing.T) {
	decl := `<?xml version="1.0" encoding="UTF-16"?>` + "\n"
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + encDoc
	latin1, _ := charmap.ISO8859_1.NewEncoder().String(strings.ReplaceAll(encDoc, " ☕ 日本", ""))
	cp1252, _ := charmap.Windows1252.NewEncoder().String(strings.ReplaceAll(encDoc, "☕ 日本", "€"))
	sjis, _ := japanese.ShiftJIS.NewEncoder().String(strings.ReplaceAll(encDoc, "café ☕ ", ""))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"utf-16le bom", utf16Bytes(decl+encDoc, false, true), want},
		{"utf-16be bom", utf16Bytes(decl+encDoc, true, true), want},
		{"utf-16le no bom", utf16Bytes(decl+encDoc, false, false), want},
		{"utf-16be no bom", utf16Bytes(encDoc, true, false), encDoc},
		{"utf-16le bom, no declaration", utf16Bytes(encDoc, false, true), encDoc},
		{"utf-32be bom", utf32Bytes(decl+encDoc, true, true), want},
		{"utf-32le no bom", utf32Bytes(decl+encDoc, false, false), want},
		{"iso-8859-1", []byte(`<?xml version='1.0' encoding='ISO-8859-1'?>` + latin1),
			`<?xml version='1.0' encoding='UTF-8'?>` + strings.ReplaceAll(encDoc, " ☕ 日本", "")},
		{"windows-1252", []byte("\n <?xml version=\"1.0\" encoding = \"windows-1252\" ?>" + cp1252),
			"\n <?xml version=\"1.0\" encoding = \"UTF-8\" ?>" + strings.ReplaceAll(encDoc, "☕ 日本", "€")},
		{"shift_jis", []byte(`<?xml version="1.0" encoding="Shift_JIS"?>` + sjis),
			`<?xml version="1.0" encoding="UTF-8"?>` + strings.ReplaceAll(encDoc, "café ☕ ", "")},
		{"ascii body labelled utf-16", []byte(decl + encDoc), want},
	} {
		got, err := ToUTF8(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	// UTF-8 and non-XML input come back as they are, not copied.
	for _, in := range [][]byte{[]byte(encDoc), []byte(`<?xml version="1.0" encoding="utf-8"?>` + encDoc),
		[]byte("\xef\xbb\xbf" + encDoc), []byte("\xff\xd8\xff\xe0JFIF"), []byte("\x89PNG\r\n\x1a\n"), {0, 0, 1, 0, 1, 0}, nil} {
		got, err := ToUTF8(in)
		if err != nil || len(got) != len(in) || len(in) > 0 && &got[0] != &in[0] {
			t.Errorf("%.20q: got %.20q, %v; want the input itself", in, got, err)
		}
	}
	if _, err := ToUTF8([]byte(`<?xml version="1.0" encoding="x-no-such"?><svg/>`)); options.KindOf(err) != options.KindBrokenSVG {
		t.Errorf("unknown encoding: got %v; want a broken SVG", err)
	}
}

// TestSanitizeUTF16: a UTF-16 document with a byte-order mark is
// sanitised like its UTF-8 form.
func TestSanitizeUTF16(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-16"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><text>é</text><script>x</script></svg>`
	got, err := Sanitize(nil, utf16Bytes(doc, false, true))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got, []byte("alert")) || bytes.Contains(got, []byte("script")) || !bytes.Contains(got, []byte("<text>é</text>")) ||
		!bytes.HasPrefix(got, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("got %q", got)
	}
}
