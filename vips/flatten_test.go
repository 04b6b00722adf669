package vips

import (
	goimage "image"
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
