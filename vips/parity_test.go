package vips

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	goimage "image"
	"image/color"
	"testing"
	"time"

	gv "github.com/davidbyttow/govips/v2/vips"
	"golang.org/x/image/bmp"

	"github.com/imgedge/imgedge/options"
)

// TestAutoFormatBackground: an alpha source whose own format is not
// preferred needs a format with alpha only when no background flattens it
// (docs/url-format.md, "Output format").
func TestAutoFormatBackground(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceIn(t, options.FormatTIFF, true)
	neg := &options.Negotiation{Preferred: []options.Format{options.FormatJPEG, options.FormatPNG}}
	for _, c := range []struct {
		name string
		bg   bool
		pad  bool
		want options.Format
	}{
		{"alpha", false, false, options.FormatPNG},
		{"alpha+pad", false, true, options.FormatPNG},
		{"alpha+bg", true, false, options.FormatJPEG},
		{"alpha+pad+bg", true, true, options.FormatJPEG},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOptions()
			o.Width = 80
			if c.pad {
				o.Padding = options.Padding{Enabled: true, Top: 5, Right: 5, Bottom: 5, Left: 5}
			}
			if c.bg {
				o.Background, o.HasBackground = options.Color{R: 255, G: 255, B: 255}, true
			}
			out, res := process(t, p, src, o, neg)
			if got := sniff(out); got != c.want || res.Format != c.want {
				t.Fatalf("got %v (meta %v); want %v", got, res.Format, c.want)
			}
			if !c.bg || c.pad {
				return
			}
			// Content: the source flattened onto white, resized by govips.
			ref := gvLoad(t, src)
			defer ref.Close()
			must(t, ref.Flatten(&gv.Color{R: 255, G: 255, B: 255}))
			must(t, ref.Resize(0.5, gv.KernelLanczos3))
			refPix, _, _ := refPixels(t, ref)
			pix, w, h := pixels(t, out)
			if w != 80 || h != 60 {
				t.Fatalf("got %dx%d; want 80x60", w, h)
			}
			if d := meanDiff(pix, refPix); d > 6 {
				t.Fatalf("mean difference %.2f; want <= 6", d)
			}
		})
	}
}

// TestBMPAlpha: a BMP result keeps transparency as a 32-bit BMP (read back
// with golang.org/x/image/bmp, which honours alpha only in V4/V5 headers).
func TestBMPAlpha(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceIn(t, options.FormatPNG, true)
	o := defaultOptions()
	o.Width, o.Format = 80, options.FormatBMP
	out, res := process(t, p, src, o, nil)
	if sniff(out) != options.FormatBMP || res.Format != options.FormatBMP {
		t.Fatalf("got %v; want bmp", sniff(out))
	}
	if bpp := binary.LittleEndian.Uint16(out[28:]); bpp != 32 {
		t.Fatalf("got %d bits per pixel; want 32", bpp)
	}
	m, err := bmp.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	n, ok := m.(*goimage.NRGBA)
	if !ok || n.Opaque() {
		t.Fatalf("got %T (opaque %v); want a translucent NRGBA", m, ok && n.Opaque())
	}
	if b := n.Bounds(); b.Dx() != 80 || b.Dy() != 60 {
		t.Fatalf("got %v; want 80x60", b)
	}
	ref := gvLoad(t, src)
	defer ref.Close()
	must(t, ref.PremultiplyAlpha())
	must(t, ref.Resize(0.5, gv.KernelLanczos3))
	must(t, ref.UnpremultiplyAlpha())
	must(t, ref.Cast(gv.BandFormatUchar))
	refPix, _, _ := refPixels(t, ref)
	if d := meanDiff(n.Pix, refPix); d > 4 {
		t.Fatalf("mean difference %.2f; want <= 4", d)
	}
	// An opaque result stays 24-bit.
	out, _ = process(t, p, sourceIn(t, options.FormatPNG, false), o, nil)
	if bpp := binary.LittleEndian.Uint16(out[28:]); bpp != 24 {
		t.Fatalf("opaque: got %d bits per pixel; want 24", bpp)
	}
}

// TestWatermarkReplicateCentred: `re` tiles are centred on the image. With
// a 60×40 mark on 202×259, imgproxy's tile edges are at x = 11+60k and
// y = 30+40k; spacing is split around the mark inside a larger tile (with
// 10 px: mark edges at x = 1+70k, y = 10+50k, as imgproxy renders it).
func TestWatermarkReplicateCentred(t *testing.T) {
	const mw, mh, W, H = 60, 40, 202, 259
	mark := goimage.NewNRGBA(goimage.Rect(0, 0, mw, mh))
	for y := 0; y < mh; y++ {
		for x := 0; x < mw; x++ {
			mark.SetNRGBA(x, y, color.NRGBA{uint8(x * 4), uint8(y * 6), 200, 255})
		}
	}
	p := newTestProcessor(t, func(c *Config) { c.WatermarkData = pngBytes(t, mark) })
	white := goimage.NewNRGBA(goimage.Rect(0, 0, W, H))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	src := pngBytes(t, white)
	mod := func(a, m int) int { return ((a % m) + m) % m }
	for _, c := range []struct {
		name           string
		sx, sy, ox, oy int // spacing; tile origin
		tileW, tileH   int
	}{
		{"no spacing", 0, 0, 11, 30, mw, mh},
		// 70×50 tiles: 3 across (210, left 4), 7 down (350, top 45),
		// mark 5 px into its tile.
		{"spacing 10", 10, 10, 1, 10, mw + 10, mh + 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOptions()
			o.Format = options.FormatPNG
			o.Watermark = options.Watermark{Opacity: 1, Position: options.Gravity{Type: options.GravityReplicate, X: float64(c.sx), Y: float64(c.sy)}}
			out, _ := process(t, p, src, o, nil)
			pix, w, h := pixels(t, out)
			if w != W || h != H {
				t.Fatalf("got %dx%d; want %dx%d", w, h, W, H)
			}
			want := make([]byte, 0, len(pix))
			for y := 0; y < H; y++ {
				for x := 0; x < W; x++ {
					lx, ly := mod(x-c.ox, c.tileW), mod(y-c.oy, c.tileH)
					if lx < mw && ly < mh {
						px := mark.NRGBAAt(lx, ly)
						want = append(want, px.R, px.G, px.B, 255)
					} else {
						want = append(want, 255, 255, 255, 255)
					}
				}
			}
			if d := meanDiff(pix, want); d > 0.5 {
				t.Fatalf("mean difference %.2f from the centred grid; want <= 0.5", d)
			}
		})
	}
}

// TestSmartCropAnimated: g:sm picks a window per frame. Frame 0 has a red
// disc on the left, frame 1 on the right; each output frame must match
// libvips' attention crop of that frame alone (done with govips).
func TestSmartCropAnimated(t *testing.T) {
	const fw, fh = 120, 60
	frame := func(cx int) *goimage.NRGBA {
		m := goimage.NewNRGBA(goimage.Rect(0, 0, fw, fh))
		for y := 0; y < fh; y++ {
			for x := 0; x < fw; x++ {
				c := color.NRGBA{128, 128, 128, 255}
				if (x-cx)*(x-cx)+(y-30)*(y-30) < 15*15 {
					c = color.NRGBA{230, 30, 20, 255}
				}
				m.SetNRGBA(x, y, c)
			}
		}
		return m
	}
	frames := []*goimage.NRGBA{frame(22), frame(98)}
	stack := goimage.NewNRGBA(goimage.Rect(0, 0, fw, fh*len(frames)))
	var want []byte
	for i, f := range frames {
		copy(stack.Pix[i*fh*stack.Stride:], f.Pix)
		ref := gvLoad(t, pngBytes(t, f))
		must(t, ref.SmartCrop(60, 60, gv.InterestingAttention))
		pix, _, _ := refPixels(t, ref)
		ref.Close()
		want = append(want, pix...)
	}
	anim := gvLoad(t, pngBytes(t, stack))
	defer anim.Close()
	must(t, anim.SetPageHeight(fh))
	must(t, anim.SetPageDelay([]int{100, 100}))
	p := newTestProcessor(t, nil)
	for _, f := range []options.Format{options.FormatGIF, options.FormatWebP} {
		t.Run(f.String(), func(t *testing.T) {
			o := defaultOptions()
			o.ResizingType, o.Width, o.Height = options.ResizeFill, 60, 60
			o.Gravity = options.Gravity{Type: options.GravitySmart}
			o.Limits.MaxAnimationFrames = 10
			out, res := process(t, p, encodeAs(t, anim, f), o, nil)
			if res.Width != 60 || res.Height != 60 {
				t.Fatalf("got %dx%d; want 60x60", res.Width, res.Height)
			}
			ip := gv.NewImportParams()
			ip.NumPages.Set(-1)
			got, err := gv.LoadImageFromBuffer(out, ip)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			pix, w, h := refPixels(t, got)
			if w != 60 || h != 120 {
				t.Fatalf("got a %dx%d frame stack; want 60x120", w, h)
			}
			if d := meanDiff(pix, want); d > 3 {
				t.Fatalf("mean difference %.2f to per-frame attention crops; want <= 3", d)
			}
		})
	}
}

// TestCMYKKeptWithoutStrip: with strip_color_profile=false a CMYK JPEG
// source stays CMYK with its profile for JPEG and TIFF output; with the
// default, and for other formats, it becomes sRGB.
func TestCMYKKeptWithoutStrip(t *testing.T) {
	im := gvLoad(t, pngBytes(t, testPattern(160, 120, false)))
	defer im.Close()
	must(t, im.TransformICCProfile("cmyk")) // libvips' built-in CMYK profile, embedded
	src := encodeAs(t, im, options.FormatJPEG)
	ref := gvLoad(t, src)
	defer ref.Close()
	if ref.Interpretation() != gv.InterpretationCMYK || !ref.HasICCProfile() {
		t.Fatalf("fixture: got %v (icc %v); want CMYK with a profile", ref.Interpretation(), ref.HasICCProfile())
	}
	must(t, ref.Resize(0.5, gv.KernelLanczos3))
	refPix, _, _ := refPixels(t, ref)
	p := newTestProcessor(t, nil)
	for _, c := range []struct {
		f     options.Format
		strip bool
		cmyk  bool
	}{
		{options.FormatJPEG, false, true},
		{options.FormatTIFF, false, true},
		{options.FormatJPEG, true, false},
		{options.FormatPNG, false, false},
	} {
		t.Run(fmt.Sprintf("%v/strip=%v", c.f, c.strip), func(t *testing.T) {
			o := defaultOptions()
			o.Width, o.Format, o.StripColorProfile = 80, c.f, c.strip
			out, _ := process(t, p, src, o, nil)
			got := gvLoad(t, out)
			defer got.Close()
			if isCMYK := got.Interpretation() == gv.InterpretationCMYK && got.Bands() == 4; isCMYK != c.cmyk {
				t.Fatalf("got %v with %d bands; want CMYK %v", got.Interpretation(), got.Bands(), c.cmyk)
			}
			if c.cmyk && !bytes.Equal(got.GetICCProfile(), ref.GetICCProfile()) {
				t.Fatalf("got a %d-byte profile; want the source's %d-byte CMYK profile", len(got.GetICCProfile()), len(ref.GetICCProfile()))
			}
			pix, w, h := refPixels(t, got)
			if w != 80 || h != 60 {
				t.Fatalf("got %dx%d; want 80x60", w, h)
			}
			if d := meanDiff(pix, refPix); d > 6 {
				t.Fatalf("mean difference %.2f; want <= 6", d)
			}
		})
	}
}

// TestDeadlineStopsLibvips: a deadline that passes while libvips computes a
// large result (a 7000×7000 SVG render with a wide blur, many seconds of
// work) stops the computation: Process returns the context's error kind
// instead of finishing. A later request on the same thread still works.
func TestDeadlineStopsLibvips(t *testing.T) {
	if !CanLoad(options.FormatSVG) {
		t.Skip("no svg loader")
	}
	p := newTestProcessor(t, nil)
	src := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="7000" height="7000">` +
		`<rect width="7000" height="7000" fill="#3366cc"/><circle cx="3500" cy="3500" r="3000" fill="#cc3322"/></svg>`)
	for _, c := range []struct {
		name string
		want options.ErrorKind
	}{{"deadline", options.KindTimeout}, {"cancel", options.KindCanceled}} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.want == options.KindTimeout {
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			} else {
				go func() { time.Sleep(300 * time.Millisecond); cancel() }()
			}
			o := defaultOptions()
			o.Format, o.Blur = options.FormatPNG, 40
			out, err := processBytes(ctx, p, src, &o, nil)
			if err == nil {
				n := len(out.Data)
				out.Release()
				t.Fatalf("got a %d-byte result; want the computation stopped", n)
			}
			if k := kindOf(err); k != c.want {
				t.Fatalf("got %v (%v); want kind %v", k, err, c.want)
			}
		})
	}
	o := defaultOptions()
	o.Width, o.Format = 50, options.FormatPNG
	out, res := process(t, p, src, o, nil)
	if sniff(out) != options.FormatPNG || res.Width != 50 {
		t.Fatalf("after a stopped request: got %v %dx%d; want png 50 wide", sniff(out), res.Width, res.Height)
	}
}
