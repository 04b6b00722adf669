package imagemeta

import (
	"bytes"
	"image/jpeg"
	"testing"
)

// jpeg5MP is a 2592×1944 (5 MP) JPEG with EXIF, made once.
var jpeg5MP []byte

func get5MP(b *testing.B) []byte {
	if jpeg5MP == nil {
		jpeg5MP = genJPEG(b, 2592, 1944, 6)
	}
	return jpeg5MP
}

func BenchmarkProbeJPEG5MP(b *testing.B) {
	data := get5MP(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := Probe(data)
		if err != nil || m.Width != 2592 {
			b.Fatal(m, err)
		}
	}
}

// BenchmarkDecodeConfigJPEG5MP is the baseline: the standard library's
// header reader on the same file.
func BenchmarkDecodeConfigJPEG5MP(b *testing.B) {
	data := get5MP(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProbeGIF5000Frames(b *testing.B) {
	data := gifFlood(1000, 1000, 1, 1, 5000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Probe(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProbeAVIF(b *testing.B) {
	data := heifFile("avif", []string{"mif1", "avif"}, 4000, 3000, true, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Probe(data); err != nil {
			b.Fatal(err)
		}
	}
}
