package vips

import (
	goimage "image"
	"image/color"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// checker is a w×h image of cell×cell black and white squares: any blur
// lowers its neighbour differences.
func checker(w, h, cell int) *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(0)
			if (x/cell+y/cell)%2 == 0 {
				v = 255
			}
			m.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return m
}

// detail is the mean absolute difference between horizontal neighbours
// of the red channel in the box x0..x1 × y0..y1 of RGBA pixels w wide.
func detail(pix []byte, w, x0, y0, x1, y1 int) float64 {
	var sum float64
	n := 0
	for y := y0; y < y1; y++ {
		for x := x0; x+1 < x1; x++ {
			a, b := int(pix[4*(y*w+x)]), int(pix[4*(y*w+x+1)])
			sum += float64(max(a-b, b-a))
			n++
		}
	}
	return sum / float64(n)
}

func TestBlurAreas(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pngBytes(t, checker(40, 20, 4))
	run := func(mod func(o *options.Options)) ([]byte, int, int) {
		o := defaultOptions()
		o.Format = options.FormatPNG
		mod(&o)
		out, _ := process(t, p, src, o, nil)
		return pixels(t, out)
	}
	// The box is the left half of the source as it looks.
	box := func(o *options.Options) {
		o.BlurAreas = options.BlurAreas{Sigma: 3, N: 1}
		o.BlurAreas.Areas[0] = options.Area{Left: 0, Top: 0, Width: 0.5, Height: 1}
	}
	for _, c := range []struct {
		name string
		mod  func(o *options.Options)
		// the blurred part of the result: x0,y0,x1,y1
		in [4]int
	}{
		{"as is", func(o *options.Options) {}, [4]int{0, 0, 20, 20}},
		// rotate 90 clockwise: the left half of the source is on top.
		{"rotated", func(o *options.Options) { o.Rotate = 90 }, [4]int{0, 0, 20, 20}},
		{"flipped", func(o *options.Options) { o.FlipH = true }, [4]int{20, 0, 40, 20}},
		// A crop of the left 30 px: the box covers the first 20 of them.
		{"cropped", func(o *options.Options) {
			o.Crop = options.Crop{Width: 30, Height: 0, Gravity: options.Gravity{Type: options.GravityWest}, HasGravity: true}
		}, [4]int{0, 0, 20, 20}},
		// Downscaled by 2: the box is the left 10 px of 20.
		{"scaled", func(o *options.Options) { o.Width = 20 }, [4]int{0, 0, 10, 10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			plain, w, h := run(c.mod)
			blurred, w2, h2 := run(func(o *options.Options) { c.mod(o); box(o) })
			if w != w2 || h != h2 {
				t.Fatalf("sizes %dx%d and %dx%d differ", w, h, w2, h2)
			}
			x0, y0, x1, y1 := c.in[0], c.in[1], c.in[2], c.in[3]
			for y := range h {
				for x := range w {
					i := 4 * (y*w + x)
					inside := x >= x0 && x < x1 && y >= y0 && y < y1
					if !inside && [4]byte(blurred[i:i+4]) != [4]byte(plain[i:i+4]) {
						t.Fatalf("pixel %d,%d outside the box changed: %v -> %v", x, y, plain[i:i+4], blurred[i:i+4])
					}
				}
			}
			before, after := detail(plain, w, x0, y0, x1, y1), detail(blurred, w, x0, y0, x1, y1)
			if after > before/4 {
				t.Errorf("detail inside the box %.1f -> %.1f; want it blurred away", before, after)
			}
		})
	}
}

func TestProgressiveBlur(t *testing.T) {
	src := checker(48, 48, 2)
	for _, c := range []struct {
		name string
		ramp options.Ramp
		// strip i of 4 along the direction: x0,y0,x1,y1
		strip func(i int) [4]int
	}{
		{"down", options.Ramp{Stop: 1}, func(i int) [4]int { return [4]int{0, 12 * i, 48, 12*i + 12} }},
		{"right", options.Ramp{Angle: 270, Stop: 1}, func(i int) [4]int { return [4]int{12 * i, 0, 12*i + 12, 48} }},
		{"up, from the middle", options.Ramp{Angle: 180, Start: 0.5, Stop: 1}, func(i int) [4]int { return [4]int{0, 36 - 12*i, 48, 48 - 12*i} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOptions()
			o.ProgressiveBlur = options.ProgressiveBlur{Sigma: 3, Ramp: c.ramp}
			st := runStep(t, src, o, options.FormatPNG, progressiveBlur)
			pix := rgbaPixels(t, st.im)
			var d [4]float64
			for i := range d {
				s := c.strip(i)
				d[i] = detail(pix, 48, s[0], s[1], s[2], s[3])
			}
			for i := 1; i < 4; i++ {
				if d[i] > d[i-1]+1 {
					t.Fatalf("detail along the direction %v; want it to fall", d)
				}
			}
			if d[0] < 60 || d[3] > 20 {
				t.Errorf("detail along the direction %v; want the first strip nearly sharp, the last blurred", d)
			}
		})
	}
}

func TestUnsharpMasking(t *testing.T) {
	// A soft vertical edge: dark left, light right, a ramp between.
	edge := goimage.NewNRGBA(goimage.Rect(0, 0, 64, 16))
	for y := range 16 {
		for x := range 64 {
			v := uint8(60)
			switch {
			case x >= 36:
				v = 200
			case x >= 28:
				v = uint8(60 + (x-27)*140/9)
			}
			edge.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	p := newTestProcessor(t, nil)
	src := pngBytes(t, edge)
	contrast := func(u options.UnsharpMasking, mod func(o *options.Options)) (lo, hi int, pix []byte) {
		o := defaultOptions()
		o.Format, o.UnsharpMasking = options.FormatPNG, u
		mod(&o)
		out, _ := process(t, p, src, o, nil)
		pix, w, h := pixels(t, out)
		lo, hi = 255, 0
		for x := range w {
			v := int(pix[4*((h/2)*w+x)])
			lo, hi = min(lo, v), max(hi, v)
		}
		return lo, hi, pix
	}
	down := func(o *options.Options) { o.Width = 32 }
	std := options.UnsharpMasking{Mode: options.UnsharpAlways, Weight: 1, Divider: 24}
	lo0, hi0, plain := contrast(options.UnsharpMasking{Mode: options.UnsharpNone, Weight: 1, Divider: 24}, down)
	lo1, hi1, sharp := contrast(std, down)
	if hi1-lo1 <= hi0-lo0+4 {
		t.Errorf("edge contrast %d..%d without, %d..%d with unsharp masking; want it raised", lo0, hi0, lo1, hi1)
	}
	_, _, strong := contrast(options.UnsharpMasking{Mode: options.UnsharpAlways, Weight: 2, Divider: 12}, down)
	if meanDiff(strong, plain) <= meanDiff(sharp, plain) {
		t.Errorf("a larger weight and smaller divider do not sharpen more")
	}
	auto := options.UnsharpMasking{Mode: options.UnsharpAuto, Weight: 1, Divider: 24}
	if _, _, got := contrast(auto, down); meanDiff(got, sharp) != 0 {
		t.Errorf("auto on a downscale differs from always")
	}
	if _, _, got := contrast(auto, func(o *options.Options) {}); meanDiff(got, pngPixels(t, edge)) != 0 {
		t.Errorf("auto without a downscale changed the image")
	}
	if _, _, got := contrast(auto, func(o *options.Options) { down(o); o.Sharpen = 0.5 }); meanDiff(got, sharp) == 0 {
		t.Errorf("auto with sharpen still ran unsharp masking")
	}
}

// pngPixels returns m's RGBA pixels as the tests' decoders see them.
func pngPixels(t *testing.T, m goimage.Image) []byte {
	pix, _, _ := pixels(t, pngBytes(t, m))
	return pix
}
