package vips

import (
	"bytes"
	"context"
	"errors"
	goimage "image"
	"image/color"
	"image/png"
	"math"
	"os"
	"runtime"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

// The tests render references with govips (a separate code path over the
// same libvips) and compare pixels, not bytes.

func TestMain(m *testing.M) {
	cfg := DefaultConfig()
	cfg.EnablePDF = true // unblock pdfload; each Processor still gates PDF on its own Config
	if err := Startup(cfg); err != nil {
		panic(err)
	}
	gv.LoggingSettings(nil, gv.LogLevelError)
	gv.Startup(&gv.Config{ConcurrencyLevel: 1})
	code := m.Run()
	os.Exit(code)
}

// defaultOptions mirrors the parser defaults (IMGPROXY_* defaults).
func defaultOptions() options.Options {
	return options.Options{
		ZoomX: 1, ZoomY: 1, Dpr: 1,
		AutoRotate: true, StripMetadata: true, KeepCopyright: true, StripColorProfile: true,
		Limits: options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 1},
	}
}

// testPattern is an asymmetric picture: colour gradients, a dark square in
// the top-left quadrant and a light bar at the bottom, so every flip,
// rotation or misplaced crop changes the pixels.
func testPattern(w, h int, alpha bool) *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(255 * x / max(1, w-1)), uint8(255 * y / max(1, h-1)), uint8(128 + 100*math.Sin(float64(x+y)/9)), 255}
			if x > w/8 && x < w/3 && y > h/8 && y < h/3 {
				c = color.NRGBA{20, 20, 30, 255}
			}
			if y > h*7/8 {
				c = color.NRGBA{240, 230, 200, 255}
			}
			if alpha {
				c.A = uint8(255 * (w - x) / w)
				if x < w/4 {
					c.A = 255
				}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func pngBytes(t testing.TB, m goimage.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gvLoad decodes with govips.
func gvLoad(t testing.TB, b []byte) *gv.ImageRef {
	t.Helper()
	im, err := gv.NewImageFromBuffer(b)
	if err != nil {
		t.Fatalf("govips load: %v", err)
	}
	return im
}

// encodeAs converts an image to format f with govips (fixtures).
func encodeAs(t testing.TB, im *gv.ImageRef, f options.Format) []byte {
	t.Helper()
	var b []byte
	var err error
	switch f {
	case options.FormatJPEG:
		p := gv.NewJpegExportParams()
		p.Quality = 95
		b, _, err = im.ExportJpeg(p)
	case options.FormatPNG:
		b, _, err = im.ExportPng(gv.NewPngExportParams())
	case options.FormatWebP:
		p := gv.NewWebpExportParams()
		p.Quality = 95
		b, _, err = im.ExportWebp(p)
	case options.FormatGIF:
		b, _, err = im.ExportGIF(gv.NewGifExportParams())
	case options.FormatTIFF:
		b, _, err = im.ExportTiff(gv.NewTiffExportParams())
	case options.FormatHEIC:
		p := gv.NewHeifExportParams()
		p.Quality = 90
		b, _, err = im.ExportHeif(p)
	case options.FormatAVIF:
		p := gv.NewAvifExportParams()
		p.Quality = 90
		p.Speed = 8
		b, _, err = im.ExportAvif(p)
	case options.FormatJXL:
		p := gv.NewJxlExportParams()
		p.Quality = 95
		b, _, err = im.ExportJxl(p)
	default:
		t.Fatalf("encodeAs: unsupported %v", f)
	}
	if err != nil {
		t.Fatalf("encode %v: %v", f, err)
	}
	return b
}

// pixels returns 8-bit RGBA pixels of an encoded image (decoded by govips).
func pixels(t testing.TB, b []byte) (pix []byte, w, h int) {
	t.Helper()
	im := gvLoad(t, b)
	defer im.Close()
	return refPixels(t, im)
}

// refPixels returns 8-bit RGBA pixels of a govips image (flattening
// nothing: a missing alpha becomes 255).
func refPixels(t testing.TB, im *gv.ImageRef) (pix []byte, w, h int) {
	t.Helper()
	c, err := im.Copy()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Interpretation() != gv.InterpretationSRGB {
		if err := c.ToColorSpace(gv.InterpretationSRGB); err != nil {
			t.Fatal(err)
		}
	}
	if c.BandFormat() != gv.BandFormatUchar {
		if err := c.Cast(gv.BandFormatUchar); err != nil {
			t.Fatal(err)
		}
	}
	if !c.HasAlpha() {
		if err := c.AddAlpha(); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := c.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw, c.Width(), c.Height()
}

// meanDiff is the mean absolute difference per channel (0..255) of two
// RGBA buffers with alpha-weighted colour (transparent pixels compare by alpha only).
func meanDiff(a, b []byte) float64 {
	var sum float64
	for i := 0; i+3 < len(a) && i+3 < len(b); i += 4 {
		aa, ba := float64(a[i+3])/255, float64(b[i+3])/255
		for c := 0; c < 3; c++ {
			sum += math.Abs(float64(a[i+c])*aa - float64(b[i+c])*ba)
		}
		sum += math.Abs(float64(a[i+3]) - float64(b[i+3]))
	}
	return sum / float64(len(a))
}

// processBytes runs p.Process on src, which the test owns (the Source owns
// nothing); the caller releases the Output.
func processBytes(ctx context.Context, p *Processor, src []byte, o *options.Options, neg *options.Negotiation) (options.Output, error) {
	s := options.NewSource(src, nil)
	return p.Process(ctx, &s, o, neg)
}

// process runs the Processor and returns a Go copy of the result.
func process(t testing.TB, p *Processor, src []byte, o options.Options, neg *options.Negotiation) ([]byte, options.ResultMeta) {
	t.Helper()
	res, err := processBytes(context.Background(), p, src, &o, neg)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	out := append([]byte(nil), res.Data...)
	res.Release()
	return out, res.Meta
}

func newTestProcessor(t testing.TB, mod func(*Config)) *Processor {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	p, err := NewProcessor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func kindOf(err error) options.ErrorKind {
	var e *options.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return options.KindOf(err)
}

// sniff identifies an encoded result by its magic bytes.
func sniff(b []byte) options.Format {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return options.FormatJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG")):
		return options.FormatPNG
	case len(b) > 12 && string(b[8:12]) == "WEBP":
		return options.FormatWebP
	case bytes.HasPrefix(b, []byte("GIF8")):
		return options.FormatGIF
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return options.FormatTIFF
	case bytes.HasPrefix(b, []byte("BM")):
		return options.FormatBMP
	case bytes.HasPrefix(b, []byte{0, 0, 1, 0}):
		return options.FormatICO
	case bytes.HasPrefix(b, []byte{0xff, 0x0a}), bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL ")):
		return options.FormatJXL
	case len(b) > 12 && string(b[4:8]) == "ftyp":
		if bytes.Contains(b[8:32], []byte("avif")) {
			return options.FormatAVIF
		}
		return options.FormatHEIC
	}
	return options.FormatUnknown
}

// stepState returns a state whose working image is m (decoded in memory),
// for running one step on its own. The image is closed when the test ends.
// The calling goroutine is locked to its thread (libvips errors are read
// there) until the test ends.
func stepState(t *testing.T, m goimage.Image, o *options.Options, out options.Format) *state {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	p := newTestProcessor(t, nil)
	src := pngBytes(t, m)
	im, err := p.load(src, options.FormatPNG, loadParams{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := &state{p: p, ctx: context.Background(), o: o, src: src, im: im, out: out}
	t.Cleanup(func() { st.im.close() })
	return st
}

// rgbaAt reads the pixel at x,y of st.im (1–4 bands) as RGBA.
func rgbaAt(t *testing.T, im *image, x, y int) [4]int {
	t.Helper()
	px, err := im.getpoint(x, y)
	if err != nil {
		t.Fatal(err)
	}
	switch len(px) {
	case 1:
		return [4]int{int(px[0]), int(px[0]), int(px[0]), 255}
	case 2:
		return [4]int{int(px[0]), int(px[0]), int(px[0]), int(px[1])}
	case 3:
		return [4]int{int(px[0]), int(px[1]), int(px[2]), 255}
	}
	return [4]int{int(px[0]), int(px[1]), int(px[2]), int(px[3])}
}

// labelled is a w×h image whose pixel i = y*w+x has red = 10*i.
func labelled(w, h int) *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(10 * (y*w + x)), 0, 0, 255})
		}
	}
	return m
}
