package vips

import (
	goimage "image"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// TestCanvasSteps runs extend, extend aspect ratio and padding on a
// 4×2 red image: the canvas is transparent for PNG without a background,
// the background colour otherwise, and white for JPEG.
func TestCanvasSteps(t *testing.T) {
	red := goimage.NewNRGBA(goimage.Rect(0, 0, 4, 2))
	for i := 0; i < len(red.Pix); i += 4 {
		red.Pix[i], red.Pix[i+3] = 255, 255
	}
	f := func(name string, out options.Format, bg *options.Color, run func(st *state) error, g geometry, wantW, wantH int, at [2]int, want [4]int) {
		t.Helper()
		o := defaultOptions()
		if bg != nil {
			o.Background, o.HasBackground = *bg, true
		}
		st := stepState(t, red, &o, out)
		st.g = g
		if err := run(st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.im.width() != wantW || st.im.height() != wantH {
			t.Fatalf("%s: got %dx%d; want %dx%d", name, st.im.width(), st.im.height(), wantW, wantH)
		}
		if got := rgbaAt(t, st.im, at[0], at[1]); got != want {
			t.Fatalf("%s: pixel %v = %v; want %v", name, at, got, want)
		}
		if got := rgbaAt(t, st.im, g.PadL+g.ExtX+g.ArX, g.PadT+g.ExtY+g.ArY); got != [4]int{255, 0, 0, 255} {
			t.Fatalf("%s: the image moved: top-left of the placed image is %v", name, got)
		}
	}
	ext := geometry{ResultW: 4, ResultH: 2, ExtW: 8, ExtH: 4, ExtX: 2, ExtY: 1}
	ext.ArW, ext.ArH = ext.ExtW, ext.ExtH
	transparent, white := [4]int{0, 0, 0, 0}, [4]int{255, 255, 255, 255}
	f("extend png", options.FormatPNG, nil, extend, ext, 8, 4, [2]int{0, 0}, transparent)
	f("extend jpeg", options.FormatJPEG, nil, extend, ext, 8, 4, [2]int{0, 0}, white)
	f("extend background", options.FormatPNG, &options.Color{B: 255}, extend, ext, 8, 4, [2]int{7, 3}, [4]int{0, 0, 255, 255})
	ar := geometry{ResultW: 4, ResultH: 2, ExtW: 4, ExtH: 2, ArW: 4, ArH: 4, ArY: 1}
	f("extend aspect ratio", options.FormatPNG, nil, extendAspectRatio, ar, 4, 4, [2]int{0, 3}, transparent)
	pad := geometry{ResultW: 4, ResultH: 2, ExtW: 4, ExtH: 2, ArW: 4, ArH: 2, PadT: 1, PadR: 2, PadB: 3, PadL: 4}
	f("padding", options.FormatJPEG, nil, padding, pad, 10, 6, [2]int{9, 5}, white)
}
