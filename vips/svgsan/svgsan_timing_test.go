package svgsan

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
)

func BenchmarkSanitizeTypical(b *testing.B) {
	src := []byte(typicalSVG)
	dst := make([]byte, 0, 2*len(src))
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		var err error
		if dst, err = Sanitize(dst[:0], src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenizeTypical is the baseline: encoding/xml alone reading
// the same document, the floor under Sanitize.
func BenchmarkTokenizeTypical(b *testing.B) {
	src := []byte(typicalSVG)
	ents := map[string]string{"ns_svg": "http://www.w3.org/2000/svg", "ns_xlink": "http://www.w3.org/1999/xlink"}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		d := xml.NewDecoder(bytes.NewReader(src))
		d.Entity = ents
		for {
			if _, err := d.RawToken(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSanitizeLarge: a 1 MB document of paths.
func BenchmarkSanitizeLarge(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(svgOpen)
	for buf.Len() < 1<<20 {
		buf.WriteString(`<path d="M10 10 L 230 10 L 120 110 Z" fill="url(#g)" stroke="#333"/>` + "\n")
	}
	buf.WriteString("</svg>")
	src := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if _, err := Sanitize(nil, src); err != nil {
			b.Fatal(err)
		}
	}
}
