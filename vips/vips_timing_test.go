package vips

import (
	"context"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

// Benchmarks per source/output format on a 2000×1500 photo-like pattern,
// resized to 300×200 fill (the common thumbnail case). The baseline is a
// raw libvips thumbnail+save through govips on the same input (the bench's
// ceiling, bench/ceiling.go, does the same without Go in between).
// Run with: go test -run X -bench . -benchtime=20x ./vips/

var benchSrc = map[options.Format][]byte{}

func benchSource(b *testing.B, f options.Format) []byte {
	b.Helper()
	if s, ok := benchSrc[f]; ok {
		return s
	}
	s := sourceSized(b, f, 2000, 1500, false)
	benchSrc[f] = s
	return s
}

func benchProcess(b *testing.B, src options.Format, mod func(o *options.Options)) {
	if !CanLoad(src) {
		b.Skipf("no %v loader", src)
	}
	p := newTestProcessor(b, nil)
	data := benchSource(b, src)
	o := defaultOptions()
	o.ResizingType, o.Width, o.Height = options.ResizeFill, 300, 200
	if mod != nil {
		mod(&o)
	}
	if o.Format != options.FormatUnknown && !CanSave(o.Format) {
		b.Skipf("no %v encoder", o.Format)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := processBytes(context.Background(), p, data, &o, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Data) == 0 || out.Meta.Width != 300 {
			b.Fatalf("got %d bytes %dx%d", len(out.Data), out.Meta.Width, out.Meta.Height)
		}
		out.Release()
	}
}

func BenchmarkBaselineJPEGFill(b *testing.B) {
	data := benchSource(b, options.FormatJPEG)
	params := gv.NewJpegExportParams()
	params.Quality, params.OptimizeCoding, params.StripMetadata = 80, true, true
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		im, err := gv.NewThumbnailFromBuffer(data, 300, 200, gv.InterestingCentre)
		if err != nil {
			b.Fatal(err)
		}
		_, _, err = im.ExportJpeg(params)
		im.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJPEGFillToJPEG(b *testing.B) { benchProcess(b, options.FormatJPEG, nil) }
func BenchmarkJPEGFillToWebP(b *testing.B) {
	benchProcess(b, options.FormatJPEG, func(o *options.Options) { o.Format = options.FormatWebP })
}
func BenchmarkJPEGFillToAVIF(b *testing.B) {
	benchProcess(b, options.FormatJPEG, func(o *options.Options) { o.Format = options.FormatAVIF })
}
func BenchmarkJPEGFillToPNG(b *testing.B) {
	benchProcess(b, options.FormatJPEG, func(o *options.Options) { o.Format = options.FormatPNG })
}
func BenchmarkJPEGFillSmart(b *testing.B) {
	benchProcess(b, options.FormatJPEG, func(o *options.Options) { o.Gravity.Type = options.GravitySmart })
}
func BenchmarkJPEGFillNoShrinkOnLoad(b *testing.B) {
	benchProcess(b, options.FormatJPEG, func(o *options.Options) { o.Trim = options.Trim{Enabled: true, Threshold: 1} })
}
func BenchmarkPNGFill(b *testing.B)  { benchProcess(b, options.FormatPNG, nil) }
func BenchmarkWebPFill(b *testing.B) { benchProcess(b, options.FormatWebP, nil) }
func BenchmarkAVIFFill(b *testing.B) { benchProcess(b, options.FormatAVIF, nil) }
func BenchmarkHEICFill(b *testing.B) {
	benchProcess(b, options.FormatHEIC, func(o *options.Options) { o.Format = options.FormatJPEG })
}
func BenchmarkGIFFill(b *testing.B) { benchProcess(b, options.FormatGIF, nil) }
func BenchmarkTIFFFill(b *testing.B) {
	benchProcess(b, options.FormatTIFF, func(o *options.Options) { o.Format = options.FormatJPEG })
}
func BenchmarkBMPFill(b *testing.B) {
	benchProcess(b, options.FormatBMP, func(o *options.Options) { o.Format = options.FormatJPEG })
}
func BenchmarkJXLFill(b *testing.B) {
	benchProcess(b, options.FormatJXL, func(o *options.Options) { o.Format = options.FormatJPEG })
}
