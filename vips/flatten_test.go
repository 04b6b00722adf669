package vips

import (
	"encoding/binary"
	goimage "image"
	"image/color"
	"math"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// TestFlattenStep: transparency goes onto the background for JPEG or with
// a background colour, and stays for PNG without one.
func TestFlattenStep(t *testing.T) {
	half := goimage.NewNRGBA(goimage.Rect(0, 0, 2, 2))
	for i := 0; i < len(half.Pix); i += 4 {
		half.Pix[i], half.Pix[i+3] = 255, 0 // transparent red
	}
	f := func(out options.Format, bg *options.Color, wantBands int, want [4]int) {
		t.Helper()
		o := defaultOptions()
		if bg != nil {
			o.Background, o.HasBackground = *bg, true
		}
		st := stepState(t, half, &o, out)
		if err := flatten(st); err != nil {
			t.Fatal(err)
		}
		if st.im.bands() != wantBands {
			t.Fatalf("%v bg %v: got %d bands; want %d", out, bg, st.im.bands(), wantBands)
		}
		if got := rgbaAt(t, st.im, 1, 1); got != want {
			t.Fatalf("%v bg %v: got %v; want %v", out, bg, got, want)
		}
	}
	f(options.FormatPNG, nil, 4, [4]int{255, 0, 0, 0})
	f(options.FormatJPEG, nil, 3, [4]int{255, 255, 255, 255})
	f(options.FormatPNG, &options.Color{G: 255}, 3, [4]int{0, 255, 0, 255})
}

// TestFlattenEarlyMatchesLate: flattening before the resize gives the
// pixels of the premultiplied resize followed by flatten (the path taken
// when flattenEarly does not apply) up to rounding. Both are compared with
// the exact value, flatten and resize computed in float: flattening early
// is as close to it as the premultiplied path (a mean error of about half
// a unit, which is the 8-bit resampler's own rounding), for downscaling,
// upscaling, a background colour and a grey source with alpha.
func TestFlattenEarlyMatchesLate(t *testing.T) {
	f := func(m goimage.Image, w, h int, bg *options.Color) {
		t.Helper()
		o := defaultOptions()
		if bg != nil {
			o.Background, o.HasBackground = *bg, true
		}
		run := func(path string) []float64 {
			st := stepState(t, m, &o, options.FormatJPEG)
			switch path {
			case "early":
				if !st.flattensEarly() {
					t.Fatalf("flattenEarly does not apply")
				}
				must(t, flattenEarly(st))
				if b := st.im.bands(); b != 1 && b != 3 || st.im.bandFormat() != formatUchar {
					t.Fatalf("flattened early: %d bands, format %d; want 8-bit without alpha", b, st.im.bandFormat())
				}
				must(t, st.p.resizeTo(st.im, w, h))
			case "late":
				must(t, st.p.resizeTo(st.im, w, h))
				must(t, flatten(st))
			case "exact":
				must(t, st.im.cast(formatFloat))
				must(t, flatten(st))
				must(t, st.im.resize(float64(w)/float64(st.im.width()), float64(h)/float64(st.im.height())))
			}
			return floatPixels(t, st.im)
		}
		early, late, exact := run("early"), run("late"), run("exact")
		if len(early) != len(late) || len(early) != len(exact) {
			t.Fatalf("%dx%d: %d values early, %d late, %d exact", w, h, len(early), len(late), len(exact))
		}
		errEarly, maxEarly := diffStats(early, exact)
		errLate, _ := diffStats(late, exact)
		between, maxBetween := diffStats(early, late)
		if errEarly > errLate+0.1 || errEarly > 0.75 || maxEarly > 4 || between > 1 || maxBetween > 6 {
			t.Fatalf("%dx%d bg %v: early vs exact mean %.3f max %.0f, late vs exact mean %.3f, early vs late mean %.3f max %.0f",
				w, h, bg, errEarly, maxEarly, errLate, between, maxBetween)
		}
	}
	f(testPattern(240, 180, true), 100, 75, nil)
	f(testPattern(240, 180, true), 37, 91, &options.Color{R: 10, G: 200, B: 90})
	f(testPattern(60, 40, true), 150, 100, nil)
	grey := goimage.NewNRGBA(goimage.Rect(0, 0, 90, 60))
	for y := range 60 {
		for x := range 90 {
			v, a := uint8(x*255/89), uint8(255*y/59)
			if x > 30 && x < 50 {
				a = 255 - a // sharp alpha edges
			}
			grey.SetNRGBA(x, y, color.NRGBA{v, v, v, a})
		}
	}
	f(grey, 40, 27, nil)
}

// floatPixels returns im's values (8-bit or float bands), float ones
// rounded and clipped to 0..255 as a cast to 8 bits would.
func floatPixels(t *testing.T, im *image) []float64 {
	t.Helper()
	pix, err := im.pixels()
	must(t, err)
	if im.bandFormat() != formatFloat {
		out := make([]float64, len(pix))
		for i, v := range pix {
			out[i] = float64(v)
		}
		return out
	}
	out := make([]float64, len(pix)/4)
	for i := range out {
		v := float64(math.Float32frombits(binary.LittleEndian.Uint32(pix[4*i:])))
		out[i] = math.Max(0, math.Min(255, math.Round(v)))
	}
	return out
}

// diffStats returns the mean and the largest absolute difference.
func diffStats(a, b []float64) (mean, worst float64) {
	for i := range a {
		d := math.Abs(a[i] - b[i])
		mean += d
		worst = math.Max(worst, d)
	}
	return mean / float64(len(a)), worst
}

// TestFlattenEarlyConditions: not with options that treat alpha
// differently, 16-bit pixels or linear light, nor when nothing flattens.
func TestFlattenEarlyConditions(t *testing.T) {
	m := testPattern(8, 8, true)
	f := func(out options.Format, mod func(o *options.Options), want bool) {
		t.Helper()
		o := defaultOptions()
		if mod != nil {
			mod(&o)
		}
		st := stepState(t, m, &o, out)
		st.smart = o.Gravity.Type == options.GravitySmart
		if got := st.flattensEarly(); got != want {
			t.Fatalf("%v %+v: flattensEarly = %v; want %v", out, o, got, want)
		}
	}
	f(options.FormatJPEG, nil, true)
	f(options.FormatPNG, nil, false)
	f(options.FormatPNG, func(o *options.Options) { o.HasBackground = true }, true)
	f(options.FormatJPEG, func(o *options.Options) { o.Blur = 1 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.Sharpen = 1 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.Pixelate = 4 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.Gravity.Type = options.GravitySmart }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.Adjust.Brightness = 10 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.Monochrome.Intensity = 0.5 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.Duotone.Intensity = 0.5 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.ProgressiveBlur.Sigma = 2 }, false)
	f(options.FormatJPEG, func(o *options.Options) { o.BlurAreas.Sigma, o.BlurAreas.N = 2, 1 }, false)
	f(options.FormatJPEG, func(o *options.Options) {
		o.UnsharpMasking = options.UnsharpMasking{Mode: options.UnsharpAlways, Weight: 1, Divider: 24}
	}, false)
	f(options.FormatPNG, func(o *options.Options) {
		o.HasBackground, o.BackgroundAlpha, o.HasBackgroundAlpha = true, 0.5, true
	}, false)
}
