package vips

import (
	goimage "image"
	"image/color"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

// bordered draws the test pattern inside a uniform border.
func bordered(l, t, r, b int, border color.NRGBA) *goimage.NRGBA {
	inner := testPattern(100, 80, false)
	m := goimage.NewNRGBA(goimage.Rect(0, 0, 100+l+r, 80+t+b))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = border.R, border.G, border.B, border.A
	}
	for y := 0; y < 80; y++ {
		copy(m.Pix[m.PixOffset(l, t+y):], inner.Pix[inner.PixOffset(0, y):inner.PixOffset(100, y)])
	}
	return m
}

func TestTrim(t *testing.T) {
	p := newTestProcessor(t, nil)
	f := func(name string, m goimage.Image, tr options.Trim, wantW, wantH int) {
		t.Helper()
		o := defaultOptions()
		o.Trim = tr
		_, res := process(t, p, pngBytes(t, m), o, nil)
		if res.Width != wantW || res.Height != wantH {
			t.Errorf("%s: got %dx%d; want %dx%d", name, res.Width, res.Height, wantW, wantH)
		}
	}
	white := color.NRGBA{255, 255, 255, 255}
	f("top-left colour", bordered(10, 5, 20, 15, white), options.Trim{Enabled: true, Threshold: 10}, 100, 80)
	f("given colour", bordered(10, 5, 20, 15, color.NRGBA{0, 255, 0, 255}),
		options.Trim{Enabled: true, Threshold: 10, Color: options.Color{G: 255}, HasColor: true}, 100, 80)
	f("equal hor", bordered(10, 5, 20, 15, white), options.Trim{Enabled: true, Threshold: 10, EqualHor: true}, 110, 80)
	f("equal ver", bordered(10, 5, 20, 15, white), options.Trim{Enabled: true, Threshold: 10, EqualVer: true}, 100, 90)
	f("transparent via FF00FF", bordered(6, 6, 6, 6, color.NRGBA{}),
		options.Trim{Enabled: true, Threshold: 10, Color: options.Color{R: 255, B: 255}, HasColor: true}, 100, 80)
}

func TestPixelate(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := testPattern(64, 48, false)
	o := defaultOptions()
	o.Pixelate = 8
	out, _ := process(t, p, pngBytes(t, src), o, nil)
	pix, w, h := pixels(t, out)
	// Reference computed in Go: every 8×8 block is its average colour.
	ref := make([]byte, 0, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			bx, by := x/8*8, y/8*8
			var sum [3]int
			for yy := by; yy < by+8; yy++ {
				for xx := bx; xx < bx+8; xx++ {
					c := src.NRGBAAt(xx, yy)
					sum[0] += int(c.R)
					sum[1] += int(c.G)
					sum[2] += int(c.B)
				}
			}
			ref = append(ref, byte(sum[0]/64), byte(sum[1]/64), byte(sum[2]/64), 255)
		}
	}
	if d := meanDiff(pix, ref); d > 1 {
		t.Fatalf("mean difference to block averages %.2f; want <= 1", d)
	}
}

func TestSmartCrop(t *testing.T) {
	p := newTestProcessor(t, nil)
	o := defaultOptions()
	o.ResizingType, o.Width, o.Height = options.ResizeFill, 50, 50
	o.Gravity = options.Gravity{Type: options.GravitySmart}
	src := pngBytes(t, testPattern(160, 120, false))
	out, res := process(t, p, src, o, nil)
	if res.Width != 50 || res.Height != 50 {
		t.Fatalf("got %dx%d; want 50x50", res.Width, res.Height)
	}
	ref := gvLoad(t, src)
	defer ref.Close()
	must(t, ref.Resize(50.0/120, gv.KernelLanczos3))
	must(t, ref.SmartCrop(50, 50, gv.InterestingAttention))
	refPix, _, _ := refPixels(t, ref)
	pix, _, _ := pixels(t, out)
	if d := meanDiff(pix, refPix); d > 3 {
		t.Fatalf("mean difference %.2f; want <= 3", d)
	}
}

func TestWatermark(t *testing.T) {
	mark := goimage.NewNRGBA(goimage.Rect(0, 0, 20, 10))
	for i := 0; i < len(mark.Pix); i += 4 {
		mark.Pix[i], mark.Pix[i+3] = 255, 255 // opaque red
	}
	p := newTestProcessor(t, func(c *Config) { c.WatermarkData = pngBytes(t, mark); c.WatermarkOpacity = 0.5 })
	src := pngBytes(t, testPattern(160, 120, false))
	base, _, _ := pixels(t, src)
	run := func(wm options.Watermark) []byte {
		o := defaultOptions()
		o.Watermark = wm
		out, res := process(t, p, src, o, nil)
		if res.Width != 160 || res.Height != 120 {
			t.Fatalf("got %dx%d; want 160x120", res.Width, res.Height)
		}
		pix, _, _ := pixels(t, out)
		return pix
	}
	at := func(pix []byte, x, y int) []byte { return pix[(y*160+x)*4 : (y*160+x)*4+4] }
	// Expected colour: source blended with red at opacity 1.0 × 0.5.
	blend := func(x, y int) []byte {
		b := at(base, x, y)
		return []byte{byte((int(b[0]) + 255 + 1) / 2), byte(int(b[1]) / 2), byte(int(b[2]) / 2), 255}
	}
	near := func(a, b []byte) bool {
		for i := range a {
			if d := int(a[i]) - int(b[i]); d > 2 || d < -2 {
				return false
			}
		}
		return true
	}
	pix := run(options.Watermark{Opacity: 1, Position: options.Gravity{Type: options.GravitySouthEast, X: 5, Y: 5}})
	if !near(at(pix, 160-5-10, 120-5-5), blend(160-5-10, 120-5-5)) {
		t.Fatalf("soea: got %v; want %v inside the mark", at(pix, 145, 110), blend(145, 110))
	}
	if !near(at(pix, 10, 10), at(base, 10, 10)) {
		t.Fatalf("soea: pixel outside the mark changed")
	}
	pix = run(options.Watermark{Opacity: 1, Position: options.Gravity{Type: options.GravityReplicate}})
	for _, xy := range [][2]int{{5, 5}, {85, 45}, {155, 115}} {
		if !near(at(pix, xy[0], xy[1]), blend(xy[0], xy[1])) {
			t.Fatalf("replicate: pixel %v not covered", xy)
		}
	}
	pix = run(options.Watermark{Opacity: 1, Position: options.Gravity{Type: options.GravityNorthWest}, Scale: 0.5})
	if !near(at(pix, 75, 35), blend(75, 35)) || !near(at(pix, 85, 45), at(base, 85, 45)) {
		t.Fatalf("scale 0.5: the mark should cover 80x40 at the top-left")
	}
	pix = run(options.Watermark{})
	if meanDiff(pix, base) > 0.01 {
		t.Fatalf("opacity 0 must leave the image alone")
	}
}
