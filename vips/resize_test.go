package vips

import (
	"testing"

	"github.com/imgedge/imgedge/options"
)

// TestResizeSteps: resize reaches the planned size exactly (swapped when
// the orientation turns the image), fix size caps ICO at 256 px.
func TestResizeSteps(t *testing.T) {
	o := defaultOptions()
	st := stepState(t, testPattern(301, 199, true), &o, options.FormatPNG)
	st.g = geometry{ScaledW: 77, ScaledH: 51}
	st.t = orient{Angle: 90}
	if err := resize(st); err != nil {
		t.Fatal(err)
	}
	if st.im.width() != 51 || st.im.height() != 77 {
		t.Fatalf("resize: got %dx%d; want 51x77 (raw orientation of a 77x51 plan)", st.im.width(), st.im.height())
	}
	st = stepState(t, testPattern(600, 300, false), &o, options.FormatICO)
	if err := fixSize(st); err != nil {
		t.Fatal(err)
	}
	if st.im.width() != 256 || st.im.height() != 128 {
		t.Fatalf("fix size for ico: got %dx%d; want 256x128", st.im.width(), st.im.height())
	}
}
