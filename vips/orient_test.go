package vips

import (
	"testing"

	"github.com/imgedge/imgedge/options"
)

// TestOrientStep checks every rotation and mirror against the obvious
// slow transform of a labelled grid.
func TestOrientStep(t *testing.T) {
	const w, h = 4, 3
	for _, tr := range []orient{{0, false}, {90, false}, {180, false}, {270, false}, {0, true}, {90, true}, {180, true}, {270, true}} {
		o := defaultOptions()
		st := stepState(t, labelled(w, h), &o, options.FormatPNG)
		st.t = tr
		if err := orientImage(st); err != nil {
			t.Fatal(err)
		}
		want := applyOrient(grid(w, h), tr)
		if st.im.height() != len(want) || st.im.width() != len(want[0]) {
			t.Fatalf("%+v: got %dx%d; want %dx%d", tr, st.im.width(), st.im.height(), len(want[0]), len(want))
		}
		for y := range want {
			for x := range want[y] {
				if got := rgbaAt(t, st.im, x, y)[0]; got != 10*want[y][x] {
					t.Fatalf("%+v: pixel %d,%d has label %d; want %d", tr, x, y, got/10, want[y][x])
				}
			}
		}
	}
}
