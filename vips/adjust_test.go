package vips

import (
	goimage "image"
	"image/color"
	"math"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// The colour steps of the imgproxy Pro options, run one at a time on small
// generated images (stepState) and checked on their pixels.

// uniform is a w×h image of one colour.
func uniform(w, h int, c color.NRGBA) *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

// midtones is a 32×32 colour image with values in 64..191 (no clipping
// under moderate adjustments) and some chroma everywhere.
func midtones() *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			m.SetNRGBA(x, y, color.NRGBA{uint8(64 + 4*x), uint8(64 + 4*y), uint8(191 - 2*x - 2*y), 255})
		}
	}
	return m
}

// rgbaPixels returns st.im's pixels as RGBA (grey expanded, alpha 255 when
// absent); the image must be 8-bit.
func rgbaPixels(t *testing.T, im *image) []byte {
	t.Helper()
	raw, err := im.pixels()
	if err != nil {
		t.Fatal(err)
	}
	n := im.bands()
	out := make([]byte, 0, im.width()*im.height()*4)
	for i := 0; i+n <= len(raw); i += n {
		px := raw[i : i+n]
		switch n {
		case 1:
			out = append(out, px[0], px[0], px[0], 255)
		case 2:
			out = append(out, px[0], px[0], px[0], px[1])
		case 3:
			out = append(out, px[0], px[1], px[2], 255)
		default:
			out = append(out, px[0], px[1], px[2], px[3])
		}
	}
	return out
}

// channelStats returns the mean and standard deviation of the colour
// channels, and the mean chroma (max - min channel) of RGBA pixels.
func channelStats(pix []byte) (mean, sd, chroma float64) {
	var sum, sq, ch float64
	n := 0
	for i := 0; i+3 < len(pix); i += 4 {
		r, g, b := float64(pix[i]), float64(pix[i+1]), float64(pix[i+2])
		sum += r + g + b
		sq += r*r + g*g + b*b
		ch += math.Max(r, math.Max(g, b)) - math.Min(r, math.Min(g, b))
		n++
	}
	mean = sum / float64(3*n)
	return mean, math.Sqrt(sq/float64(3*n) - mean*mean), ch / float64(n)
}

// runStep runs one step on a fresh state holding m and returns it.
func runStep(t *testing.T, m goimage.Image, o options.Options, out options.Format, step func(*state) error) *state {
	t.Helper()
	st := stepState(t, m, &o, out)
	if err := step(st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAdjustBrightnessContrastSaturation(t *testing.T) {
	src := midtones()
	base := runStep(t, src, defaultOptions(), options.FormatPNG, adjust)
	m0, sd0, ch0 := channelStats(rgbaPixels(t, base.im))
	for _, c := range []struct {
		name string
		adj  options.Adjust
		// expected mean shift and spread/chroma ratios
		dMean, sdRatio, chRatio float64
	}{
		{"brightness +40", options.Adjust{Brightness: 40}, 40, 1, 1},
		{"brightness -30", options.Adjust{Brightness: -30}, -30, 1, 1},
		{"contrast 1.5", options.Adjust{Contrast: 1.5}, 1.5*(m0-128) + 128 - m0, 1.5, 1.5},
		{"contrast 0.5", options.Adjust{Contrast: 0.5}, 0.5*(m0-128) + 128 - m0, 0.5, 0.5},
		{"saturation 0", options.Adjust{Saturation: 1e-9}, math.NaN(), math.NaN(), 0},
		{"saturation 0.5", options.Adjust{Saturation: 0.5}, math.NaN(), math.NaN(), 0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOptions()
			o.Adjust = c.adj
			st := runStep(t, src, o, options.FormatPNG, adjust)
			m, sd, ch := channelStats(rgbaPixels(t, st.im))
			if !math.IsNaN(c.dMean) && math.Abs(m-m0-c.dMean) > 0.6 {
				t.Errorf("mean %.2f -> %.2f; want a shift of %.2f", m0, m, c.dMean)
			}
			if !math.IsNaN(c.sdRatio) && math.Abs(sd/sd0-c.sdRatio) > 0.03 {
				t.Errorf("spread %.2f -> %.2f (x%.3f); want x%.2f", sd0, sd, sd/sd0, c.sdRatio)
			}
			// Chroma in RGB is only roughly proportional to LCh chroma.
			if math.Abs(ch/ch0-c.chRatio) > 0.08 {
				t.Errorf("chroma %.2f -> %.2f (x%.3f); want about x%.2f", ch0, ch, ch/ch0, c.chRatio)
			}
		})
	}
}

func TestAdjustKeepsAlpha(t *testing.T) {
	src := uniform(8, 8, color.NRGBA{100, 120, 140, 77})
	o := defaultOptions()
	o.Adjust = options.Adjust{Brightness: 50, Contrast: 2, Saturation: 2}
	st := runStep(t, src, o, options.FormatPNG, adjust)
	if px := rgbaAt(t, st.im, 3, 3); px[3] != 77 {
		t.Fatalf("got %v; want alpha 77 kept", px)
	}
}

func TestMonochrome(t *testing.T) {
	src := testPattern(32, 32, true)
	t.Run("grey colour leaves no chroma", func(t *testing.T) {
		o := defaultOptions()
		o.Monochrome = options.Monochrome{Intensity: 1, Color: options.Color{R: 0xb3, G: 0xb3, B: 0xb3}}
		st := runStep(t, src, o, options.FormatPNG, monochrome)
		pix := rgbaPixels(t, st.im)
		for i := 0; i < len(pix); i += 4 {
			if pix[i] != pix[i+1] || pix[i+1] != pix[i+2] {
				t.Fatalf("pixel %d is %v; want r = g = b", i/4, pix[i:i+4])
			}
			if pix[i] > 0xb3+1 {
				t.Fatalf("pixel %d is %v; want no brighter than the colour b3", i/4, pix[i:i+4])
			}
		}
		if srcA, a := src.Pix[3+4*31], pix[3+4*31]; srcA != a {
			t.Errorf("alpha %d; want %d kept", a, srcA)
		}
	})
	t.Run("shades of red", func(t *testing.T) {
		o := defaultOptions()
		o.Monochrome = options.Monochrome{Intensity: 1, Color: options.Color{R: 255}}
		st := runStep(t, uniform(4, 4, color.NRGBA{255, 255, 255, 255}), o, options.FormatPNG, monochrome)
		if px := rgbaAt(t, st.im, 1, 1); px != [4]int{255, 0, 0, 255} {
			t.Errorf("white became %v; want the colour ff0000", px)
		}
	})
	t.Run("intensity mixes", func(t *testing.T) {
		o := defaultOptions()
		o.Monochrome = options.Monochrome{Intensity: 0.5, Color: options.Color{R: 255, G: 255, B: 255}}
		st := runStep(t, uniform(4, 4, color.NRGBA{255, 0, 0, 255}), o, options.FormatPNG, monochrome)
		// Half red, half the grey of red's luminance (libvips: about
		// 124): the red channel is 127.5 above the others.
		px := rgbaAt(t, st.im, 1, 1)
		if math.Abs(float64(px[0]-px[1])-127.5) > 1.5 || px[1] != px[2] || px[1] < 55 || px[1] > 68 {
			t.Errorf("got %v; want about (190, 62, 62)", px)
		}
	})
}

func TestDuotone(t *testing.T) {
	// Left half black, right half white, a grey bar in the middle rows.
	src := goimage.NewNRGBA(goimage.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			v := uint8(0)
			if x >= 8 {
				v = 255
			}
			if y >= 6 && y < 10 {
				v = 128
			}
			src.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	o := defaultOptions()
	dark, light := options.Color{R: 200, G: 20, B: 40}, options.Color{R: 10, G: 220, B: 250}
	o.Duotone = options.Duotone{Intensity: 1, Dark: dark, Light: light}
	st := runStep(t, src, o, options.FormatPNG, duotone)
	want := func(c options.Color) [4]int { return [4]int{int(c.R), int(c.G), int(c.B), 255} }
	if px := rgbaAt(t, st.im, 2, 2); px != want(dark) {
		t.Errorf("black became %v; want the dark colour %v", px, want(dark))
	}
	if px := rgbaAt(t, st.im, 12, 2); px != want(light) {
		t.Errorf("white became %v; want the light colour %v", px, want(light))
	}
	mid := rgbaAt(t, st.im, 4, 7)
	for i, c := range []float64{105, 120, 145} { // halfway between the colours
		if math.Abs(float64(mid[i])-c) > 2 {
			t.Errorf("grey 128 became %v; want about (105, 120, 145)", mid)
			break
		}
	}
}
