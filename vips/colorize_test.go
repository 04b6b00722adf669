package vips

import (
	goimage "image"
	"image/color"
	"math"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func TestColorize(t *testing.T) {
	green := options.Color{G: 255}
	t.Run("opaque blends by opacity", func(t *testing.T) {
		o := defaultOptions()
		o.Colorize = options.Colorize{Opacity: 0.5, Color: green}
		st := runStep(t, uniform(8, 8, color.NRGBA{200, 100, 50, 255}), o, options.FormatPNG, colorize)
		if px := rgbaAt(t, st.im, 4, 4); !near(px, [4]int{100, 178, 25, 255}, 1) {
			t.Errorf("got %v; want (100, 178, 25, 255)", px)
		}
	})
	half := uniform(8, 8, color.NRGBA{200, 100, 50, 255})
	for y := range 8 {
		for x := 4; x < 8; x++ {
			half.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
		}
	}
	t.Run("keep_alpha", func(t *testing.T) {
		o := defaultOptions()
		o.Colorize = options.Colorize{Opacity: 0.5, Color: green, KeepAlpha: true}
		st := runStep(t, half, o, options.FormatPNG, colorize)
		if px := rgbaAt(t, st.im, 6, 4); px[3] != 0 {
			t.Errorf("transparent pixel became %v; want alpha 0 kept", px)
		}
		if px := rgbaAt(t, st.im, 1, 4); !near(px, [4]int{100, 178, 25, 255}, 1) {
			t.Errorf("opaque pixel became %v; want (100, 178, 25, 255)", px)
		}
	})
	t.Run("covers transparency", func(t *testing.T) {
		o := defaultOptions()
		o.Colorize = options.Colorize{Opacity: 0.5, Color: green}
		st := runStep(t, half, o, options.FormatPNG, colorize)
		if px := rgbaAt(t, st.im, 6, 4); !near(px, [4]int{0, 255, 0, 128}, 1) {
			t.Errorf("transparent pixel became %v; want green at half opacity", px)
		}
	})
}

// near reports whether two pixels differ by at most tol per channel.
func near(a, b [4]int, tol int) bool {
	for i := range a {
		if d := a[i] - b[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

func TestGradient(t *testing.T) {
	white := uniform(40, 40, color.NRGBA{255, 255, 255, 255})
	lum := func(st *state, x, y int) int { return rgbaAt(t, st.im, x, y)[0] }
	t.Run("down: strongest at the bottom", func(t *testing.T) {
		o := defaultOptions()
		o.Gradient = options.Gradient{Opacity: 1, Ramp: options.Ramp{Stop: 1}}
		st := runStep(t, white, o, options.FormatPNG, gradient)
		prev := 256
		for y := 0; y < 40; y += 3 {
			v := lum(st, 20, y)
			if v >= prev {
				t.Fatalf("row %d: %d after %d; want darker towards the bottom", y, v, prev)
			}
			prev = v
		}
		if top, bottom := lum(st, 20, 0), lum(st, 20, 39); top < 245 || bottom > 10 {
			t.Errorf("top %d, bottom %d; want about 255 and 0", top, bottom)
		}
		if px := rgbaAt(t, st.im, 3, 20); px[3] != 255 || st.im.bands() != 3 {
			t.Errorf("an opaque image got %d bands, pixel %v; want it opaque", st.im.bands(), px)
		}
	})
	t.Run("left with start, stop and opacity", func(t *testing.T) {
		o := defaultOptions()
		o.Gradient = options.Gradient{Opacity: 0.5, Color: options.Color{B: 255}, Ramp: options.Ramp{Angle: 90, Start: 0.25, Stop: 0.75}}
		st := runStep(t, white, o, options.FormatPNG, gradient)
		if px := rgbaAt(t, st.im, 36, 20); px != [4]int{255, 255, 255, 255} {
			t.Errorf("right side (before start) is %v; want untouched white", px)
		}
		if px := rgbaAt(t, st.im, 3, 20); !near(px, [4]int{128, 128, 255, 255}, 2) {
			t.Errorf("left side (after stop) is %v; want white half covered by blue", px)
		}
	})
	t.Run("degrees", func(t *testing.T) {
		o := defaultOptions()
		o.Gradient = options.Gradient{Opacity: 1, Ramp: options.Ramp{Angle: 315, Stop: 1}} // towards the bottom right
		st := runStep(t, white, o, options.FormatPNG, gradient)
		if tl, br, tr, bl := lum(st, 0, 0), lum(st, 39, 39), lum(st, 39, 0), lum(st, 0, 39); tl < 245 || br > 10 ||
			math.Abs(float64(tr-bl)) > 2 || math.Abs(float64(tr)-128) > 8 {
			t.Errorf("corners tl %d br %d tr %d bl %d; want white, black and two equal greys", tl, br, tr, bl)
		}
	})
}

func TestBackgroundAlpha(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := goimage.NewNRGBA(goimage.Rect(0, 0, 20, 20))
	for y := range 20 {
		for x := range 20 {
			if x < 10 {
				src.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	o := defaultOptions()
	o.Background, o.HasBackground = options.Color{R: 255}, true
	o.BackgroundAlpha, o.HasBackgroundAlpha = 0.5, true
	o.Padding = options.Padding{Enabled: true, Top: 4, Right: 4, Bottom: 4, Left: 4}
	o.Format = options.FormatPNG
	out, _ := process(t, p, pngBytes(t, src), o, nil)
	pix, w, _ := pixels(t, out)
	at := func(x, y int) [4]int {
		i := 4 * (y*w + x)
		return [4]int{int(pix[i]), int(pix[i+1]), int(pix[i+2]), int(pix[i+3])}
	}
	for _, c := range []struct {
		name string
		x, y int
		want [4]int
	}{
		{"opaque pixel", 8, 10, [4]int{0, 0, 255, 255}},
		{"transparent pixel", 20, 10, [4]int{255, 0, 0, 128}},
		{"padding", 1, 1, [4]int{255, 0, 0, 128}},
	} {
		if got := at(c.x, c.y); !near(got, c.want, 1) {
			t.Errorf("%s: got %v; want %v", c.name, got, c.want)
		}
	}
	// Without an alpha output format the background stays opaque.
	o.Format = options.FormatJPEG
	out, _ = process(t, p, pngBytes(t, src), o, nil)
	pix, w, _ = pixels(t, out)
	if i := 4 * (10*w + 20); pix[i] < 240 || pix[i+3] != 255 {
		t.Errorf("JPEG: got %v; want opaque red", pix[i:i+4])
	}
}
