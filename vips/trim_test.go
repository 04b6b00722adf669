package vips

import (
	goimage "image"
	"image/color"
	"testing"

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
