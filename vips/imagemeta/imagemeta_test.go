package imagemeta

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"testing"

	"golang.org/x/image/webp"

	"github.com/imgedge/imgedge/options"
)

type probeCase struct {
	name string
	data []byte
	want Meta
}

// validCases returns generated files of every supported format with the
// Meta Probe must report.
func validCases(t testing.TB) []probeCase {
	paletted := image.NewPaletted(image.Rect(0, 0, 33, 17), color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{255, 0, 0, 255}})
	gray := image.NewGray(image.Rect(0, 0, 40, 30))
	rgba := gradient(64, 48)
	rgba.Pix[3] = 10
	opaque := gradient(50, 20)
	pngOpaque := genPNG(t, opaque)
	return []probeCase{
		{"jpeg", genJPEG(t, 320, 200, 0), Meta{Format: options.FormatJPEG, Width: 320, Height: 200, Frames: 1, Channels: 3, BitDepth: 8, Blocks: 1560}},
		{"jpeg progressive", progressive(genJPEG(t, 320, 200, 0)), Meta{Format: options.FormatJPEG, Width: 320, Height: 200, Frames: 1, Channels: 3,
			BitDepth: 8, Progressive: true, Blocks: 1560}},
		{"jpeg exif 6", genJPEG(t, 31, 17, 6), Meta{Format: options.FormatJPEG, Width: 31, Height: 17, Frames: 1, Orientation: 6, Channels: 3, BitDepth: 8, Blocks: 24}},
		{"jpeg exif 9 invalid", genJPEG(t, 8, 8, 9), Meta{Format: options.FormatJPEG, Width: 8, Height: 8, Frames: 1, Channels: 3, BitDepth: 8, Blocks: 6}},
		{"png rgba", genPNG(t, rgba), Meta{Format: options.FormatPNG, Width: 64, Height: 48, Frames: 1, HasAlpha: true, Channels: 4, BitDepth: 8}},
		{"png opaque", pngOpaque, Meta{Format: options.FormatPNG, Width: 50, Height: 20, Frames: 1, Channels: 3, BitDepth: 8}},
		{"png gray", genPNG(t, gray), Meta{Format: options.FormatPNG, Width: 40, Height: 30, Frames: 1, Channels: 1, BitDepth: 8}},
		{"png palette trns", genPNG(t, paletted), Meta{Format: options.FormatPNG, Width: 33, Height: 17, Frames: 1, HasAlpha: true, Channels: 4, BitDepth: 1}},
		{"png exif 3", insertPNGChunk(pngOpaque, "eXIf", exifBlock(3)), Meta{Format: options.FormatPNG, Width: 50, Height: 20, Frames: 1, Orientation: 3, Channels: 3, BitDepth: 8}},
		{"apng", insertPNGChunk(pngOpaque, "acTL", []byte{0, 0, 0, 5, 0, 0, 0, 0}),
			Meta{Format: options.FormatPNG, Width: 50, Height: 20, Frames: 5, Animated: true, Channels: 3, BitDepth: 8}},
		{"gif still", genGIF(t, 21, 13, 1, false), Meta{Format: options.FormatGIF, Width: 21, Height: 13, Frames: 1}},
		{"gif anim alpha", genGIF(t, 21, 13, 7, true), Meta{Format: options.FormatGIF, Width: 21, Height: 13, Frames: 7, HasAlpha: true, Animated: true}},
		{"webp vp8", riff(webpChunk("VP8 ", vp8Body(300, 150))), Meta{Format: options.FormatWebP, Width: 300, Height: 150, Frames: 1}},
		{"webp vp8l alpha", riff(webpChunk("VP8L", vp8lBody(16383, 2, true))), Meta{Format: options.FormatWebP, Width: 16383, Height: 2, Frames: 1, HasAlpha: true}},
		{"webp vp8x still exif", riff(webpChunk("VP8X", vp8xBody(0x08, 1000, 700)), webpChunk("VP8 ", vp8Body(1000, 700)),
			webpChunk("EXIF", exifBlock(8))), Meta{Format: options.FormatWebP, Width: 1000, Height: 700, Frames: 1, Orientation: 8}},
		{"webp anim", webpAnim(77, 55, 12, true), Meta{Format: options.FormatWebP, Width: 77, Height: 55, Frames: 12, HasAlpha: true, Animated: true}},
		{"avif", heifFile("avif", []string{"mif1", "avif"}, 640, 480, false, false), Meta{Format: options.FormatAVIF, Width: 640, Height: 480, Frames: 1}},
		{"avif rotated alpha", heifFile("avif", []string{"mif1", "miaf"}, 640, 480, true, true),
			Meta{Format: options.FormatAVIF, Width: 480, Height: 640, Frames: 1, HasAlpha: true}},
		{"heic", heifFile("heic", []string{"mif1", "heic"}, 4032, 3024, false, false), Meta{Format: options.FormatHEIC, Width: 4032, Height: 3024, Frames: 1}},
		{"heif mif1", heifFile("mif1", []string{"mif1"}, 100, 50, false, false), Meta{Format: options.FormatHEIC, Width: 100, Height: 50, Frames: 1}},
		{"tiff", genTIFF(t, gray), Meta{Format: options.FormatTIFF, Width: 40, Height: 30, Frames: 1, Channels: 1, BitDepth: 8}},
		{"tiff alpha", genTIFF(t, rgba), Meta{Format: options.FormatTIFF, Width: 64, Height: 48, Frames: 1, HasAlpha: true, Channels: 4, BitDepth: 8}},
		{"bmp", genBMP(t, opaque), Meta{Format: options.FormatBMP, Width: 50, Height: 20, Frames: 1}},
		{"bmp paletted", genBMP(t, paletted), Meta{Format: options.FormatBMP, Width: 33, Height: 17, Frames: 1}},
		{"ico png", icoFile([]byte{16, 64}, []byte{16, 48}, genPNG(t, gradient(16, 16)), genPNG(t, rgba)),
			Meta{Format: options.FormatICO, Width: 64, Height: 48, Frames: 1, HasAlpha: true, Channels: 4, BitDepth: 8}},
		// An icon DIB may have transparency through its AND mask.
		{"ico bmp", icoFile([]byte{50}, []byte{20}, genBMP(t, opaque)), Meta{Format: options.FormatICO, Width: 50, Height: 20, Frames: 1, HasAlpha: true}},
		{"jxl codestream", jxlCodestream(1000, 500, 0, false, false), Meta{Format: options.FormatJXL, Width: 1000, Height: 500, Frames: 1}},
		{"jxl container full", jxlContainer(jxlCodestream(3, 200000, 5, true, true)),
			Meta{Format: options.FormatJXL, Width: 3, Height: 200000, Frames: 1, Orientation: 5, Animated: true, HasAlpha: true}},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"/>`), Meta{Format: options.FormatSVG, Width: 120, Height: 80, Frames: 1, HasAlpha: true}},
		{"svg prolog viewBox", []byte("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c > -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\" [ <!ENTITY a \"b>\"> ]>\n<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\" viewBox='0,0 300.4 150'>"),
			Meta{Format: options.FormatSVG, Width: 300, Height: 150, Frames: 1, HasAlpha: true}},
		{"svg units", []byte(`<svg width="1in" height=" 72pt " viewBox="0 0 10 10">`), Meta{Format: options.FormatSVG, Width: 96, Height: 96, Frames: 1, HasAlpha: true}},
		{"svg width only", []byte(`<svg width="200" viewBox="0 0 100 50">`), Meta{Format: options.FormatSVG, Width: 200, Height: 100, Frames: 1, HasAlpha: true}},
		{"svg percent", []byte(`<svg width="100%" height="100%">`), Meta{Format: options.FormatSVG, Frames: 1, HasAlpha: true}},
	}
}

// progressive turns a baseline JPEG's SOF0 marker into SOF2 (the header
// of a progressive file; the scans are not rewritten).
func progressive(jpg []byte) []byte {
	out := bytes.Clone(jpg)
	if i := bytes.Index(out, []byte{0xff, 0xc0}); i >= 0 {
		out[i+1] = 0xc2
	}
	return out
}

// TestJPEGBlocks checks the coefficient block count against libjpeg's
// sizing for the usual samplings: 4:4:4, 4:2:2 (the 5640×3172 photo of the
// bench: 72 MB of coefficients when progressive), 4:2:0 and grey.
func TestJPEGBlocks(t *testing.T) {
	comps := func(s ...byte) []byte {
		var b []byte
		for i, v := range s {
			b = append(b, byte(i+1), v, 0)
		}
		return b
	}
	for _, c := range []struct {
		comps []byte
		w, h  int64
		want  int64
	}{
		{comps(0x11, 0x11, 0x11), 16, 16, 12},
		{comps(0x21, 0x11, 0x11), 5640, 3172, 706*397 + 2*353*397},
		{comps(0x22, 0x11, 0x11), 17, 9, 4*2 + 2*2*1},
		{comps(0x11), 1, 1, 1},
	} {
		if got := jpegBlocks(c.comps, len(c.comps)/3, c.w, c.h); got != c.want {
			t.Errorf("%x %dx%d: got %d blocks; want %d", c.comps, c.w, c.h, got, c.want)
		}
	}
}

func TestProbe(t *testing.T) {
	for _, c := range validCases(t) {
		t.Run(c.name, func(t *testing.T) {
			got, err := Probe(c.data)
			if err != nil {
				t.Fatalf("got error %v; want %+v", err, c.want)
			}
			if got != c.want {
				t.Fatalf("got %+v; want %+v", got, c.want)
			}
		})
	}
}

// TestWebPHeadersAgreeWithXImage checks the hand-built WebP headers
// against an independent decoder, so the fixtures are real WebP.
func TestWebPHeadersAgreeWithXImage(t *testing.T) {
	for _, c := range validCases(t) {
		if c.want.Format != options.FormatWebP || c.want.Animated {
			continue
		}
		cfg, err := webp.DecodeConfig(bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s: x/image/webp: %v", c.name, err)
		}
		if cfg.Width != c.want.Width || cfg.Height != c.want.Height {
			t.Fatalf("%s: x/image/webp got %dx%d; want %dx%d", c.name, cfg.Width, cfg.Height, c.want.Width, c.want.Height)
		}
	}
}

func wantKind(t *testing.T, err error, kind options.ErrorKind) {
	t.Helper()
	var e *options.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T); want *options.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind {
		t.Fatalf("got kind %v (%v); want %v", e.Kind, err, kind)
	}
}

func TestProbePDF(t *testing.T) {
	// PDF is recognised (loading it is the vips package's decision) with an
	// unknown size, and exempt from CheckLimits like SVG.
	m, err := Probe([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"))
	if err != nil {
		t.Fatalf("got error %v; want FormatPDF", err)
	}
	if m.Format != options.FormatPDF || m.Width != 0 || m.Height != 0 {
		t.Fatalf("got %+v; want FormatPDF 0x0", m)
	}
	if err := CheckLimits(m, options.Limits{MaxSrcResolution: 1}); err != nil {
		t.Fatalf("CheckLimits(pdf) = %v; want nil", err)
	}
}

func TestProbeRejects(t *testing.T) {
	pngData := genPNG(t, gradient(8, 8))
	jpg := genJPEG(t, 8, 8, 0)
	f := func(name string, data []byte, kind options.ErrorKind) {
		t.Run(name, func(t *testing.T) {
			m, err := Probe(data)
			if err == nil {
				t.Fatalf("got %+v; want error of kind %v", m, kind)
			}
			wantKind(t, err, kind)
		})
	}
	f("empty", nil, options.KindInvalidImage)
	f("text", []byte("hello, world"), options.KindInvalidImage)
	f("html", []byte("<!DOCTYPE html><html><svg></svg></html>"), options.KindInvalidImage)
	f("mp4", bmffBox("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41")), options.KindInvalidImage)
	f("svg beyond window", append(bytes.Repeat([]byte(" "), DefaultMaxSVGCheckBytes), "<svg/>"...), options.KindInvalidImage)
	f("svgfoo", []byte("<svgfoo/>"), options.KindInvalidImage)
	f("jpeg magic png body", append([]byte{0xff, 0xd8, 0xff}, pngData...), options.KindBrokenImage)
	f("jpeg app0 png body", append([]byte{0xff, 0xd8, 0xff, 0xe0}, pngData...), options.KindBrokenImage)
	f("jpeg soi eoi", []byte{0xff, 0xd8, 0xff, 0xd9}, options.KindBrokenImage)
	f("png magic jpeg body", append([]byte(pngSig), jpg...), options.KindBrokenImage)
	f("png bad crc", func() []byte { b := bytes.Clone(pngData); b[20]++; return b }(), options.KindBrokenImage)
	f("gif magic png body", append([]byte("GIF89a"), pngData...), options.KindBrokenImage)
	f("webp riff png body", riff(pngData), options.KindBrokenImage)
	f("webp vp8x without image", riff(webpChunk("VP8X", vp8xBody(0, 10, 10))), options.KindBrokenImage)
	f("webp anim without frames", riff(webpChunk("VP8X", vp8xBody(2, 10, 10)), webpChunk("ANIM", make([]byte, 6))), options.KindBrokenImage)
	f("avif without ispe", append(bmffBox("ftyp", []byte("avif\x00\x00\x00\x00avif")), fullBox("meta", 0, 0)...), options.KindBrokenImage)
	f("tiff zero ifd", []byte("II*\x00\x08\x00\x00\x00\x00\x00"), options.KindBrokenImage)
	f("bmp png body", append([]byte("BM"), pngData...), options.KindBrokenImage)
	f("ico png body truncated", icoFile([]byte{8}, []byte{8}, pngData[:30]), options.KindBrokenImage)
	f("ico entry out of bounds", icoFile([]byte{8}, []byte{8}, pngData)[:40], options.KindBrokenImage)
	f("jxl zero", []byte{0xff, 0x0a}, options.KindBrokenImage)
}

func TestICOImage(t *testing.T) {
	small, big := genPNG(t, gradient(16, 16)), genBMP(t, gradient(40, 30))
	data := icoFile([]byte{16, 40}, []byte{16, 30}, small, big)
	img, isPNG, err := ICOImage(data)
	if err != nil {
		t.Fatal(err)
	}
	if isPNG || len(img) != len(big)-14 || le32(img) != 40 || le32(img[8:]) != 60 {
		t.Fatalf("got isPNG %v, %d bytes; want the 40x30 DIB (%d bytes, height field 60)", isPNG, len(img), len(big)-14)
	}
	m, err := Probe(data)
	if err != nil || m.Width != 40 || m.Height != 30 {
		t.Fatalf("got %+v, %v; want the 40x30 entry", m, err)
	}
	data = icoFile([]byte{0, 16}, []byte{0, 16}, small, big) // 256x256 declared wins
	if img, isPNG, err = ICOImage(data); err != nil || !isPNG || !bytes.Equal(img, small) {
		t.Fatalf("got isPNG %v, %d bytes, %v; want the PNG entry", isPNG, len(img), err)
	}
	// An entry whose data lies outside the file is skipped.
	data = icoFile([]byte{0, 16}, []byte{0, 16}, small, big)
	data[6+15] = 0x7f // entry 0's offset far beyond the end
	if img, isPNG, err = ICOImage(data); err != nil || isPNG || len(img) != len(big)-14 {
		t.Fatalf("got isPNG %v, %d bytes, %v; want the DIB entry", isPNG, len(img), err)
	}
	if _, _, err := ICOImage(small); options.KindOf(err) != options.KindInvalidImage {
		t.Fatalf("got %v; want KindInvalidImage for a PNG", err)
	}
}

func TestCheckLimits(t *testing.T) {
	def := options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 1}
	f := func(name string, m Meta, l options.Limits, tooBig bool) {
		t.Run(name, func(t *testing.T) {
			err := CheckLimits(m, l)
			if !tooBig {
				if err != nil {
					t.Fatalf("got %v; want nil", err)
				}
				return
			}
			wantKind(t, err, options.KindSourceTooBig)
		})
	}
	jpegM := func(w, h, frames int) Meta {
		return Meta{Format: options.FormatGIF, Width: w, Height: h, Frames: frames}
	}
	f("at limit", jpegM(10000, 5000, 1), def, false)
	f("one over", jpegM(10000, 5001, 1), def, true)
	f("no limit", jpegM(100000, 100000, 1), options.Limits{}, false)
	f("overflow", jpegM(1<<62, 1<<62, 1<<30), def, true)
	f("frames capped at 1", jpegM(5000, 5000, 1000), def, false)
	f("frames counted", jpegM(5000, 5000, 3), options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 10}, true)
	f("frames capped at limit", jpegM(1000, 1000, 100000), options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 50}, false)
	f("frames capped over", jpegM(1000, 1000, 100000), options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 51}, true)
	f("per frame ok", jpegM(5000, 5000, 100), options.Limits{MaxSrcResolution: 1, MaxAnimationFrames: 100, MaxAnimationFrameResolution: 25e6}, false)
	f("per frame over", jpegM(5000, 5001, 100), options.Limits{MaxSrcResolution: 1e12, MaxAnimationFrames: 100, MaxAnimationFrameResolution: 25e6}, true)
	f("still uses summed", jpegM(5000, 5000, 1), options.Limits{MaxSrcResolution: 1, MaxAnimationFrames: 100, MaxAnimationFrameResolution: 25e6}, true)
	f("svg exempt", Meta{Format: options.FormatSVG, Width: 1 << 30, Height: 1 << 30, Frames: 1}, def, false)
}

// TestPixelFloods: tiny files declaring huge canvases are read in full
// (declared sizes as-is) and refused by CheckLimits with the defaults.
func TestPixelFloods(t *testing.T) {
	def := options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 1}
	sof := func(w, h uint16) []byte {
		b := genJPEG(t, 16, 16, 0)
		i := bytes.Index(b, []byte{0xff, 0xc0})
		if i < 0 {
			t.Fatal("BUG: no SOF0 in generated JPEG")
		}
		b[i+5], b[i+6], b[i+7], b[i+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
		return b
	}
	cases := []struct {
		name   string
		data   []byte
		w, h   int
		frames int
		limits options.Limits
	}{
		{"png 100000x100000", pngHeaderOnly(100000, 100000, 6), 100000, 100000, 1, def},
		{"png 2^31-1 square", pngHeaderOnly(1<<31-1, 1<<31-1, 2), 1<<31 - 1, 1<<31 - 1, 1, def},
		{"jpeg sof 65000x65000", sof(65000, 65000), 65000, 65000, 1, def},
		{"gif huge screen", gifFlood(65535, 65535, 1, 1, 3), 65535, 65535, 3, def},
		{"gif 1x1 screen huge first frame", gifFlood(1, 1, 60000, 60000, 1), 60000, 60000, 1, def},
		{"gif 5000 frames", gifFlood(1000, 1000, 1, 1, 5000), 1000, 1000, 5000, options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 1000}},
		{"webp vp8x 16M square", riff(webpChunk("VP8X", vp8xBody(0, 1<<24, 1<<24)), webpChunk("VP8L", vp8lBody(1, 1, false))), 1 << 24, 1 << 24, 1, def},
		{"webp 3000 frames", webpAnim(200, 200, 3000, false), 200, 200, 3000, options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 5000}},
		{"avif ispe 2^32-1", heifFile("avif", []string{"avif"}, 1<<32-1, 1<<32-1, false, false), 1<<32 - 1, 1<<32 - 1, 1, def},
		{"ico png flood", icoFile([]byte{16}, []byte{16}, pngHeaderOnly(100000, 100000, 6)), 100000, 100000, 1, def},
		{"jxl 2^18 square", jxlCodestream(1<<18, 1<<18, 0, false, false), 1 << 18, 1 << 18, 1, def},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.data) > 200<<10 {
				t.Fatalf("fixture is %d bytes; want a small file", len(c.data))
			}
			m, err := Probe(c.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Width != c.w || m.Height != c.h || m.Frames != c.frames {
				t.Fatalf("got %dx%d×%d; want %dx%d×%d", m.Width, m.Height, m.Frames, c.w, c.h, c.frames)
			}
			wantKind(t, CheckLimits(m, c.limits), options.KindSourceTooBig)
		})
	}
}

// TestGIFFrameCap: counting stops at MaxFrames.
func TestGIFFrameCap(t *testing.T) {
	m, err := Probe(gifFlood(2, 2, 1, 1, MaxFrames+10))
	if err != nil {
		t.Fatal(err)
	}
	if m.Frames != MaxFrames {
		t.Fatalf("got %d frames; want %d", m.Frames, MaxFrames)
	}
}

// TestTruncated cuts every valid file at many points: Probe never panics,
// a cut inside the header is an error, and whatever succeeds reports the
// same format and dimensions as the whole file (never garbage).
func TestTruncated(t *testing.T) {
	for _, c := range validCases(t) {
		if c.want.Format == options.FormatSVG {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			cuts := map[int]bool{}
			for i := 0; i < len(c.data) && i < 256; i++ {
				cuts[i] = true
			}
			for _, frac := range []int{3, 2} {
				cuts[len(c.data)/frac] = true
				cuts[len(c.data)-len(c.data)/frac/4] = true
			}
			for cut := range cuts {
				m, err := Probe(c.data[:cut])
				if err != nil {
					if k := options.KindOf(err); k != options.KindBrokenImage && k != options.KindInvalidImage {
						t.Fatalf("cut %d: got kind %v (%v); want broken or invalid image", cut, k, err)
					}
					continue
				}
				if c.name == "ico png" && m.Width == 16 && m.Height == 16 {
					continue // the big entry was cut off, so the 16x16 one is the entry to decode
				}
				if m.Format != c.want.Format || m.Width != c.want.Width || m.Height != c.want.Height {
					t.Fatalf("cut %d of %d: got %+v; want %+v or an error", cut, len(c.data), m, c.want)
				}
			}
		})
	}
	// The header parts that must be complete.
	for _, c := range []struct {
		name string
		data []byte
		need int
	}{
		{"png before IDAT", genPNG(t, gradient(9, 9)), 8 + 25 + 8},
		{"gif before first frame", gifFlood(9, 9, 9, 9, 2), 13 + 6 + 8 + 10},
	} {
		for cut := 0; cut < c.need; cut++ {
			if m, err := Probe(c.data[:cut]); err == nil {
				t.Fatalf("%s: cut %d: got %+v; want an error", c.name, cut, m)
			}
		}
	}
	jpg := genJPEG(t, 40, 40, 0)
	sos := bytes.Index(jpg, []byte{0xff, 0xda})
	for cut := 0; cut < sos+4; cut++ {
		if m, err := Probe(jpg[:cut]); err == nil {
			t.Fatalf("jpeg cut %d before SOS at %d: got %+v; want an error", cut, sos, m)
		}
	}
}

func TestDetectSVG(t *testing.T) {
	long := append([]byte("<!--"+string(bytes.Repeat([]byte("x"), 40000))+"-->"), "<svg>"...)
	for _, c := range []struct {
		data []byte
		max  int
		want bool
	}{
		{[]byte("<svg/>"), 0, true},
		{[]byte("  \n<svg\nwidth='1'>"), 0, true},
		{[]byte("<?xml version='1.0'?><?xml-stylesheet href='a'?><svg>"), 0, true},
		{[]byte("<svgx>"), 0, false},
		{[]byte("<html><svg>"), 0, false},
		{[]byte("<!-- unterminated <svg>"), 0, false},
		{[]byte("<?xml unterminated"), 0, false},
		{long, 0, false},
		{long, 64 << 10, true},
		{[]byte("<svg"), 3, false},
	} {
		if got := DetectSVG(c.data, c.max); got != c.want {
			t.Fatalf("DetectSVG(%.40q, %d): got %v; want %v", c.data, c.max, got, c.want)
		}
	}
	// ProbeWith honours the window.
	if _, err := ProbeWith(long, 64<<10); err != nil {
		t.Fatalf("got %v; want svg with a 64 KiB window", err)
	}
}

// TestProbeAllocs pins the header probe to a small, size-independent
// number of allocations.
func TestProbeAllocs(t *testing.T) {
	for _, c := range validCases(t) {
		allocs := testing.AllocsPerRun(20, func() { _, _ = Probe(c.data) })
		if allocs > 3 {
			t.Errorf("%s: got %v allocs per Probe; want <= 3", c.name, allocs)
		}
	}
}
