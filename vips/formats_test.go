package vips

import (
	"bytes"
	"context"
	"encoding/binary"
	goimage "image"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"
	"golang.org/x/image/bmp"

	"github.com/imgedge/imgedge/options"
)

// sourceIn encodes the 160×120 test pattern as f.
func sourceIn(t testing.TB, f options.Format, alpha bool) []byte {
	t.Helper()
	return sourceSized(t, f, 160, 120, alpha)
}

// sourceSized encodes a w×h test pattern as f.
func sourceSized(t testing.TB, f options.Format, w, h int, alpha bool) []byte {
	t.Helper()
	m := testPattern(w, h, alpha)
	switch f {
	case options.FormatPNG:
		return pngBytes(t, m)
	case options.FormatBMP:
		var b bytes.Buffer
		if err := bmp.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	case options.FormatICO:
		return wrapICO(pngBytes(t, m), w, h)
	case options.FormatSVG:
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><rect width="160" height="120" fill="#3366cc"/><rect x="20" y="15" width="33" height="25" fill="#141420"/></svg>`)
	}
	im := gvLoad(t, pngBytes(t, m))
	defer im.Close()
	return encodeAs(t, im, f)
}

func TestLoaders(t *testing.T) {
	p := newTestProcessor(t, nil)
	ref := testPattern(160, 120, false)
	refImg := gvLoad(t, pngBytes(t, ref))
	defer refImg.Close()
	must(t, refImg.Resize(0.5, gv.KernelLanczos3))
	refPix, _, _ := refPixels(t, refImg)
	for _, f := range []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatWebP, options.FormatAVIF,
		options.FormatHEIC, options.FormatGIF, options.FormatTIFF, options.FormatBMP, options.FormatICO, options.FormatJXL} {
		t.Run(f.String(), func(t *testing.T) {
			if !CanLoad(f) {
				t.Skipf("no %v loader in this libvips", f)
			}
			src := sourceIn(t, f, false)
			o := defaultOptions()
			o.Width, o.Format = 80, options.FormatPNG
			out, res := process(t, p, src, o, nil)
			if res.SrcFormat != f {
				t.Fatalf("got source format %v; want %v", res.SrcFormat, f)
			}
			pix, w, h := pixels(t, out)
			if w != 80 || h != 60 {
				t.Fatalf("got %dx%d; want 80x60", w, h)
			}
			limit := 4.0
			if f == options.FormatGIF {
				limit = 12 // 256-colour palette
			}
			if d := meanDiff(pix, refPix); d > limit {
				t.Fatalf("mean difference %.2f; want <= %v", d, limit)
			}
		})
	}
}

func TestSavers(t *testing.T) {
	p := newTestProcessor(t, nil)
	for _, f := range []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatWebP, options.FormatAVIF,
		options.FormatHEIC, options.FormatGIF, options.FormatTIFF, options.FormatBMP, options.FormatICO, options.FormatJXL} {
		t.Run(f.String(), func(t *testing.T) {
			if !CanSave(f) {
				t.Skipf("no %v encoder in this libvips", f)
			}
			// GIF has 1-bit transparency: give it an opaque source.
			src := sourceIn(t, options.FormatPNG, f != options.FormatGIF)
			o := defaultOptions()
			o.Width, o.Format = 80, f
			out, res := process(t, p, src, o, nil)
			if got := sniff(out); got != f || res.Format != f {
				t.Fatalf("got %v (meta %v); want %v", got, res.Format, f)
			}
			if f == options.FormatICO {
				out = out[22:] // the PNG inside
			}
			pix, w, h := pixels(t, out)
			if w != 80 || h != 60 {
				t.Fatalf("got %dx%d; want 80x60", w, h)
			}
			// Compare against the same resize done by govips, flattened
			// onto white for formats without alpha.
			ref := gvLoad(t, src)
			defer ref.Close()
			must(t, ref.PremultiplyAlpha())
			must(t, ref.Resize(0.5, gv.KernelLanczos3))
			must(t, ref.UnpremultiplyAlpha())
			must(t, ref.Cast(gv.BandFormatUchar))
			if !supportsAlpha(f) {
				must(t, ref.Flatten(&gv.Color{R: 255, G: 255, B: 255}))
			}
			refPix, _, _ := refPixels(t, ref)
			limit := 4.0
			switch f {
			case options.FormatGIF:
				limit = 14
			case options.FormatAVIF, options.FormatHEIC, options.FormatWebP, options.FormatJPEG:
				limit = 6
			}
			if d := meanDiff(pix, refPix); d > limit {
				t.Fatalf("mean difference %.2f; want <= %v", d, limit)
			}
		})
	}
}

func TestAVIFSmallFallsBack(t *testing.T) {
	p := newTestProcessor(t, nil)
	o := defaultOptions()
	o.Width, o.Format = 10, options.FormatAVIF
	out, res := process(t, p, sourceIn(t, options.FormatJPEG, false), o, nil)
	if got := sniff(out); got != options.FormatJPEG || res.Format != options.FormatJPEG {
		t.Fatalf("got %v; want jpeg for a <16 px AVIF", got)
	}
	out, _ = process(t, p, sourceIn(t, options.FormatPNG, true), o, nil)
	if got := sniff(out); got != options.FormatPNG {
		t.Fatalf("got %v; want png for a <16 px AVIF with alpha", got)
	}
}

func TestICOCapAndDIB(t *testing.T) {
	p := newTestProcessor(t, nil)
	o := defaultOptions()
	o.Format, o.Width, o.Enlarge = options.FormatICO, 600, true
	out, res := process(t, p, sourceIn(t, options.FormatPNG, false), o, nil)
	if res.Width != 256 || res.Height != 192 {
		t.Fatalf("got %dx%d; want 256x192 (ICO cap)", res.Width, res.Height)
	}
	if out[6] != 0 || out[7] != 192 {
		t.Fatalf("got ICO directory size %dx%d; want 0(=256)x192", out[6], out[7])
	}

	// A classic 32-bit DIB icon with alpha.
	const w, h = 4, 2
	dib := make([]byte, 40+w*h*4+h*4)
	binary.LittleEndian.PutUint32(dib, 40)
	binary.LittleEndian.PutUint32(dib[4:], w)
	binary.LittleEndian.PutUint32(dib[8:], h*2)
	binary.LittleEndian.PutUint16(dib[12:], 1)
	binary.LittleEndian.PutUint16(dib[14:], 32)
	for i := 0; i < w*h; i++ {
		copy(dib[40+4*i:], []byte{255, 0, 0, 128}) // BGRA: blue, half transparent
	}
	ico := make([]byte, 22)
	binary.LittleEndian.PutUint16(ico[2:], 1)
	binary.LittleEndian.PutUint16(ico[4:], 1)
	ico[6], ico[7] = w, h
	binary.LittleEndian.PutUint32(ico[14:], uint32(len(dib)))
	binary.LittleEndian.PutUint32(ico[18:], 22)
	ico = append(ico, dib...)
	o = defaultOptions()
	o.Format = options.FormatPNG
	out, _ = process(t, p, ico, o, nil)
	pix, gw, gh := pixels(t, out)
	if gw != w || gh != h {
		t.Fatalf("got %dx%d; want %dx%d", gw, gh, w, h)
	}
	if got := pix[:4]; got[0] != 0 || got[2] != 255 || got[3] != 128 {
		t.Fatalf("got pixel %v; want blue with alpha 128", got)
	}
}

func TestQualityAndMaxBytes(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceIn(t, options.FormatPNG, false)
	size := func(mod func(o *options.Options)) int {
		o := defaultOptions()
		o.Format = options.FormatJPEG
		mod(&o)
		out, _ := process(t, p, src, o, nil)
		return len(out)
	}
	q90 := size(func(o *options.Options) { o.Quality = 90 })
	q20 := size(func(o *options.Options) { o.Quality = 20 })
	if q20 >= q90 {
		t.Fatalf("got q20 %d bytes >= q90 %d bytes", q20, q90)
	}
	fq := size(func(o *options.Options) { o.FormatQuality[options.FormatJPEG] = 20 })
	if fq != q20 {
		t.Fatalf("format_quality jpeg:20 gave %d bytes; want %d (same as q:20)", fq, q20)
	}
	limit := (q20 + q90) / 2
	mb := size(func(o *options.Options) { o.Quality, o.MaxBytes = 90, limit })
	if mb > limit {
		t.Fatalf("max_bytes %d: got %d bytes", limit, mb)
	}
	tiny := size(func(o *options.Options) { o.MaxBytes = 10 })
	if tiny <= 10 || tiny > q20 {
		t.Fatalf("max_bytes 10: got %d bytes; want the last (smallest) attempt", tiny)
	}
}

func TestFormatNegotiation(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceIn(t, options.FormatJPEG, false)
	o := defaultOptions()
	o.Width = 40
	neg := &options.Negotiation{Auto: options.FormatSet(0).With(options.FormatWebP), Preferred: []options.Format{options.FormatJPEG, options.FormatPNG}}
	out, _ := process(t, p, src, o, neg)
	if got := sniff(out); got != options.FormatWebP {
		t.Fatalf("got %v; want webp from Accept", got)
	}
	out, _ = process(t, p, src, o, &options.Negotiation{Preferred: []options.Format{options.FormatPNG}})
	if got := sniff(out); got != options.FormatPNG {
		t.Fatalf("got %v; want png (first preferred)", got)
	}
}

func TestPassthrough(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceIn(t, options.FormatJPEG, false)
	o := defaultOptions()
	o.Width = 10
	o.SkipProcessing = options.FormatSet(0).With(options.FormatJPEG)
	pass, err := processBytes(context.Background(), p, src, &o, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pass.Release()
	data, res := pass.Data, pass.Meta
	if !res.Passthrough || &data[0] != &src[0] || len(data) != len(src) {
		t.Fatalf("got passthrough=%v len %d; want the source bytes", res.Passthrough, len(data))
	}
	o.Format = options.FormatPNG
	out, res := process(t, p, src, o, nil)
	if res.Passthrough || sniff(out) != options.FormatPNG {
		t.Fatalf("skip_processing must not apply when another format is requested")
	}
}

func TestSVG(t *testing.T) {
	p := newTestProcessor(t, nil)
	evil := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" onload="alert(1)"><script>alert(2)</script><rect width="100" height="50" fill="red"/></svg>`)
	o := defaultOptions()
	out, res := process(t, p, evil, o, nil)
	if !res.Passthrough || res.Format != options.FormatSVG {
		t.Fatalf("got %+v; want svg passthrough", res)
	}
	if bytes.Contains(out, []byte("script")) || bytes.Contains(out, []byte("onload")) {
		t.Fatalf("sanitised svg still has active content: %s", out)
	}
	// Rasterised: vector sources scale freely (enlarge ignored).
	o.Format, o.Width = options.FormatPNG, 400
	out, res = process(t, p, evil, o, nil)
	pix, w, h := pixels(t, out)
	if w != 400 || h != 200 || res.Format != options.FormatPNG {
		t.Fatalf("got %dx%d %v; want 400x200 png", w, h, res.Format)
	}
	if pix[0] != 255 || pix[1] != 0 || pix[3] != 255 {
		t.Fatalf("got pixel %v; want red", pix[:4])
	}
	// Vector guard: pre-shrunk under the resolution limit.
	o.Width = 0
	o.Limits.MaxSrcResolution = 1250
	_, res = process(t, p, evil, o, nil)
	if res.Width*res.Height > 1250 || res.Width != 50 {
		t.Fatalf("got %dx%d; want 50x25 under the 1250 px limit", res.Width, res.Height)
	}
	// Always rasterise.
	pr := newTestProcessor(t, func(c *Config) { c.AlwaysRasterizeSVG = true })
	o = defaultOptions()
	_, res = process(t, pr, evil, o, nil)
	if res.Passthrough || res.Format != options.FormatPNG {
		t.Fatalf("got %+v; want rasterised png", res)
	}
}

func TestErrors(t *testing.T) {
	p := newTestProcessor(t, nil)
	jpeg := sourceIn(t, options.FormatJPEG, false)
	f := func(name string, src []byte, mod func(o *options.Options), want options.ErrorKind) {
		t.Helper()
		o := defaultOptions()
		o.Width = 50
		mod(&o)
		_, err := processBytes(context.Background(), p, src, &o, nil)
		if got := kindOf(err); got != want || err == nil {
			t.Errorf("%s: got %v (%v); want %v", name, got, err, want)
		}
		if _, ok := err.(*options.Error); !ok {
			t.Errorf("%s: got %T; want *options.Error", name, err)
		}
	}
	f("garbage", []byte("hello, this is not an image at all"), func(o *options.Options) {}, options.KindInvalidImage)
	f("empty", nil, func(o *options.Options) {}, options.KindInvalidImage)
	png := sourceIn(t, options.FormatPNG, false)
	// A valid signature and IHDR with no pixel data at all.
	bad := append(append([]byte(nil), png[:33]...), 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82)
	f("png without pixels", bad, func(o *options.Options) {}, options.KindBrokenImage)
	f("too big", jpeg, func(o *options.Options) { o.Limits.MaxSrcResolution = 1000 }, options.KindSourceTooBig)
	f("svg for raster", jpeg, func(o *options.Options) { o.Format = options.FormatSVG }, options.KindCannotSave)
	f("absurd result", jpeg, func(o *options.Options) { o.Width, o.Height, o.Enlarge = 100000, 100000, true }, options.KindResultTooBig)
	f("broken svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect`), func(o *options.Options) {
		o.Format = options.FormatPNG
	}, options.KindBrokenSVG)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := defaultOptions()
	if _, err := processBytes(ctx, p, jpeg, &o, nil); kindOf(err) != options.KindCanceled {
		t.Errorf("canceled context: got %v; want canceled", err)
	}
}

func TestAnimation(t *testing.T) {
	p := newTestProcessor(t, nil)
	// Three 40×30 frames stacked: red, green, blue.
	frames := goimage.NewNRGBA(goimage.Rect(0, 0, 40, 90))
	for y := 0; y < 90; y++ {
		for x := 0; x < 40; x++ {
			c := frames.Pix[frames.PixOffset(x, y):]
			c[y/30], c[3] = 255, 255
		}
	}
	im := gvLoad(t, pngBytes(t, frames))
	defer im.Close()
	must(t, im.SetPageHeight(30))
	must(t, im.SetPageDelay([]int{100, 200, 300}))
	im.SetInt("loop", 3)
	for _, f := range []options.Format{options.FormatGIF, options.FormatWebP} {
		src := encodeAs(t, im, f)
		t.Run(f.String(), func(t *testing.T) {
			o := defaultOptions()
			o.Width, o.Format = 20, f
			o.Limits.MaxAnimationFrames = 10
			out, res := process(t, p, src, o, nil)
			if sniff(out) != f || res.Width != 20 || res.Height != 15 {
				t.Fatalf("got %v %dx%d; want %v 20x15 per frame", sniff(out), res.Width, res.Height, f)
			}
			got, err := gv.LoadImageFromBuffer(out, &gv.ImportParams{NumPages: gv.IntParameter{}})
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			pages := got.GetPages()
			delays, _ := got.PageDelay()
			if pages != 3 || len(delays) != 3 || delays[1] != 200 || got.GetInt("loop") != 3 {
				t.Fatalf("got %d pages, delays %v, loop %d; want 3, [100 200 300], 3", pages, delays, got.GetInt("loop"))
			}
			// Frame limit: only the first two frames are kept.
			o.Limits.MaxAnimationFrames = 2
			out, _ = process(t, p, src, o, nil)
			got2, err := gv.LoadImageFromBuffer(out, &gv.ImportParams{NumPages: gv.IntParameter{}})
			if err != nil {
				t.Fatal(err)
			}
			defer got2.Close()
			if got2.GetPages() != 2 {
				t.Fatalf("got %d pages; want 2", got2.GetPages())
			}
			// Default limit 1: static first frame.
			o.Limits.MaxAnimationFrames = 1
			out, res = process(t, p, src, o, nil)
			pix, w, h := pixels(t, out)
			if w != 20 || h != 15 || pix[0] < 200 || pix[1] > 50 {
				t.Fatalf("got %dx%d pixel %v; want a red 20x15 first frame", w, h, pix[:4])
			}
		})
	}
}

// TestShrinkOnLoad checks that decoder-side shrinking (JPEG shrink, WebP
// scale) composes correctly with crop and EXIF orientation.
func TestShrinkOnLoad(t *testing.T) {
	p := newTestProcessor(t, nil)
	for _, f := range []options.Format{options.FormatJPEG, options.FormatWebP} {
		t.Run(f.String(), func(t *testing.T) {
			im := gvLoad(t, pngBytes(t, testPattern(800, 600, false)))
			must(t, im.SetOrientation(6))
			var src []byte
			if f == options.FormatJPEG {
				src = exportJPEGKeep(t, im)
			} else {
				ep := gv.NewWebpExportParams()
				ep.Quality, ep.StripMetadata = 95, false
				var err error
				src, _, err = im.ExportWebp(ep)
				must(t, err)
			}
			im.Close()
			o := defaultOptions()
			o.Crop = options.Crop{Width: 300, Height: 400, Gravity: options.Gravity{Type: options.GravityNorthWest, X: 50, Y: 100}, HasGravity: true}
			o.Width, o.Format = 75, options.FormatPNG
			out, res := process(t, p, src, o, nil)
			if res.Width != 75 || res.Height != 100 {
				t.Fatalf("got %dx%d; want 75x100", res.Width, res.Height)
			}
			ref := gvLoad(t, src)
			defer ref.Close()
			must(t, ref.AutoRotate())
			if ref.Width() != 600 {
				t.Skipf("this libvips does not keep WebP EXIF orientation")
			}
			must(t, ref.ExtractArea(50, 100, 300, 400))
			must(t, ref.Resize(0.25, gv.KernelLanczos3))
			refPix, _, _ := refPixels(t, ref)
			pix, _, _ := pixels(t, out)
			if d := meanDiff(pix, refPix); d > 2 {
				t.Fatalf("mean difference %.2f; want <= 2", d)
			}
		})
	}
}
