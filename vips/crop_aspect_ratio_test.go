package vips

import (
	goimage "image"
	"image/color"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func TestCropAspectRatioArea(t *testing.T) {
	for _, c := range []struct {
		ratio        float64
		enlarge      bool
		aw, ah, w, h int
		wantW, wantH int
	}{
		{0, false, 100, 50, 200, 100, 100, 50},
		{1, false, 100, 50, 200, 100, 50, 50},
		{1, true, 100, 50, 200, 100, 100, 100},
		{2, false, 100, 100, 200, 100, 100, 50},
		{2, true, 100, 100, 200, 100, 200, 100},
		{4, true, 100, 100, 200, 100, 200, 50}, // enlarged past the source: fitted at the ratio
		{0.5, true, 200, 100, 200, 100, 50, 100},
	} {
		w, h := cropAspectRatio(options.CropAspectRatio{Ratio: c.ratio, Enlarge: c.enlarge}, c.aw, c.ah, c.w, c.h)
		if w != c.wantW || h != c.wantH {
			t.Errorf("%dx%d of %dx%d at %v (enlarge %v): got %dx%d; want %dx%d", c.aw, c.ah, c.w, c.h, c.ratio, c.enlarge, w, h, c.wantW, c.wantH)
		}
	}
}

func TestCropAspectRatioResult(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pngBytes(t, testPattern(200, 100, false))
	for _, c := range []struct {
		name         string
		mod          func(o *options.Options)
		wantW, wantH int
	}{
		{"whole source", func(o *options.Options) { o.CropAspectRatio = options.CropAspectRatio{Ratio: 1} }, 100, 100},
		{"crop reduced", func(o *options.Options) {
			o.Crop = options.Crop{Width: 50, Height: 100}
			o.CropAspectRatio = options.CropAspectRatio{Ratio: 1}
		}, 50, 50},
		{"crop enlarged", func(o *options.Options) {
			o.Crop = options.Crop{Width: 50, Height: 100}
			o.CropAspectRatio = options.CropAspectRatio{Ratio: 1, Enlarge: true}
		}, 100, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOptions()
			o.Format = options.FormatPNG
			c.mod(&o)
			_, res := process(t, p, src, o, nil)
			if res.Width != c.wantW || res.Height != c.wantH {
				t.Fatalf("got %dx%d; want %dx%d", res.Width, res.Height, c.wantW, c.wantH)
			}
		})
	}
}

func TestResizingAlgorithm(t *testing.T) {
	p := newTestProcessor(t, nil)
	m := goimage.NewNRGBA(goimage.Rect(0, 0, 4, 4))
	palette := map[[3]byte]bool{}
	for y := range 4 {
		for x := range 4 {
			c := color.NRGBA{uint8(60 * x), uint8(60 * y), uint8(200 - 40*x), 255}
			m.SetNRGBA(x, y, c)
			palette[[3]byte{c.R, c.G, c.B}] = true
		}
	}
	src := pngBytes(t, m)
	foreign := func(alg options.ResizingAlgorithm) int {
		o := defaultOptions()
		o.Format, o.Width, o.Enlarge, o.ResizingAlgorithm = options.FormatPNG, 32, true, alg
		out, res := process(t, p, src, o, nil)
		if res.Width != 32 || res.Height != 32 {
			t.Fatalf("%v: got %dx%d; want 32x32", alg, res.Width, res.Height)
		}
		pix, _, _ := pixels(t, out)
		n := 0
		for i := 0; i < len(pix); i += 4 {
			if !palette[[3]byte{pix[i], pix[i+1], pix[i+2]}] {
				n++
			}
		}
		return n
	}
	if n := foreign(options.ResizeNearest); n != 0 {
		t.Errorf("nearest: %d pixels of colours not in the source; want none", n)
	}
	for _, alg := range []options.ResizingAlgorithm{options.ResizeLinear, options.ResizeCubic, options.ResizeLanczos2, options.ResizeLanczos3} {
		if n := foreign(alg); n == 0 {
			t.Errorf("%v: only source colours; want interpolated ones", alg)
		}
	}
}
