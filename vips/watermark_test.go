package vips

import (
	goimage "image"
	"testing"

	"github.com/imgedge/imgedge/options"
)

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
