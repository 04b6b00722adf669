package vips

import (
	"fmt"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func TestComputeGeometry(t *testing.T) {
	type want struct{ scaledW, scaledH, resultW, resultH, finalW, finalH int }
	f := func(name string, w, h int, vector bool, mod func(o *options.Options), exp want) {
		t.Helper()
		o := defaultOptions()
		mod(&o)
		g := computeGeometry(&o, w, h, vector)
		got := want{g.ScaledW, g.ScaledH, g.ResultW, g.ResultH, g.FinalW, g.FinalH}
		if got != exp {
			t.Errorf("%s: got %+v; want %+v", name, got, exp)
		}
	}
	f("no options", 1000, 500, false, func(o *options.Options) {}, want{1000, 500, 1000, 500, 1000, 500})
	f("fit", 2000, 1500, false, func(o *options.Options) { o.Width, o.Height = 300, 200 }, want{267, 200, 267, 200, 267, 200})
	f("fill", 2000, 1500, false, func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeFill, 300, 200 },
		want{300, 225, 300, 200, 300, 200})
	f("fill-down small", 100, 50, false, func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeFillDown, 300, 200 },
		want{100, 50, 75, 50, 75, 50})
	f("fill-down enlarge", 100, 50, false, func(o *options.Options) {
		o.ResizingType, o.Width, o.Height, o.Enlarge = options.ResizeFillDown, 300, 200, true
	}, want{400, 200, 300, 200, 300, 200})
	f("fill no enlarge", 100, 50, false, func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeFill, 300, 200 },
		want{100, 50, 100, 50, 100, 50})
	f("force", 2000, 1500, false, func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeForce, 300, 200 },
		want{300, 200, 300, 200, 300, 200})
	f("force width only", 2000, 1500, false, func(o *options.Options) { o.ResizingType, o.Width = options.ResizeForce, 300 },
		want{300, 1500, 300, 1500, 300, 1500})
	f("auto landscape→fill", 2000, 1500, false, func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeAuto, 300, 200 },
		want{300, 225, 300, 200, 300, 200})
	f("auto portrait target→fit", 2000, 1500, false, func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeAuto, 200, 300 },
		want{200, 150, 200, 150, 200, 150})
	f("height only", 2000, 1500, false, func(o *options.Options) { o.Height = 150 }, want{200, 150, 200, 150, 200, 150})
	f("round half away", 3, 3, false, func(o *options.Options) { o.Width = 2 }, want{2, 2, 2, 2, 2, 2})
	f("dpr", 2000, 1500, false, func(o *options.Options) { o.Width, o.Dpr = 300, 2 }, want{600, 450, 600, 450, 600, 450})
	f("dpr capped without enlarge", 400, 300, false, func(o *options.Options) { o.Width, o.Dpr = 300, 2 },
		want{400, 300, 400, 300, 400, 300})
	f("dpr with enlarge", 400, 300, false, func(o *options.Options) { o.Width, o.Dpr, o.Enlarge = 300, 2, true },
		want{600, 450, 600, 450, 600, 450})
	f("zoom", 2000, 1500, false, func(o *options.Options) { o.Width, o.ZoomX, o.ZoomY = 300, 2, 2 }, want{600, 450, 600, 450, 600, 450})
	f("zoom no enlarge", 200, 100, false, func(o *options.Options) { o.ZoomX, o.ZoomY = 2, 3 }, want{133, 100, 133, 100, 133, 100})
	f("min-width", 2000, 1000, false, func(o *options.Options) { o.Height, o.MinWidth = 100, 400 }, want{400, 200, 400, 100, 400, 100})
	f("min-height upscales", 200, 100, false, func(o *options.Options) { o.Width, o.MinHeight = 100, 200 }, want{400, 200, 100, 200, 100, 200})
	f("crop px", 2000, 1500, false, func(o *options.Options) { o.Crop = options.Crop{Width: 1000, Height: 1000}; o.Width = 100 },
		want{100, 100, 100, 100, 100, 100})
	f("crop fraction", 2000, 1500, false, func(o *options.Options) { o.Crop = options.Crop{Width: 0.5}; o.Width = 100 },
		want{100, 150, 100, 150, 100, 150})
	f("crop larger than source", 200, 100, false, func(o *options.Options) { o.Crop = options.Crop{Width: 5000, Height: 50} },
		want{200, 50, 200, 50, 200, 50})
	f("extend", 200, 100, false, func(o *options.Options) { o.Width, o.Height, o.Extend.Enabled = 400, 300, true },
		want{200, 100, 200, 100, 400, 300})
	f("extend only height", 200, 100, false, func(o *options.Options) { o.Height, o.Extend.Enabled = 300, true },
		want{200, 100, 200, 100, 200, 300})
	f("extend dpr", 2000, 1000, false, func(o *options.Options) { o.Width, o.Height, o.Dpr, o.Extend.Enabled = 200, 200, 2, true },
		want{400, 200, 400, 200, 400, 400})
	f("extend aspect ratio", 200, 100, false, func(o *options.Options) {
		o.Width, o.Height, o.ExtendAspectRatio.Enabled = 100, 100, true
	}, want{100, 50, 100, 50, 100, 100})
	f("padding", 200, 100, false, func(o *options.Options) {
		o.Padding = options.Padding{Enabled: true, Top: 1, Right: 2, Bottom: 3, Left: 4}
	}, want{200, 100, 200, 100, 206, 104})
	f("padding dpr rte", 2000, 1000, false, func(o *options.Options) {
		o.Width, o.Dpr = 100, 1.5
		o.Padding = options.Padding{Enabled: true, Top: 1, Right: 3, Bottom: 1, Left: 3}
	}, want{150, 75, 150, 75, 158, 79}) // rte(1.5)=2, rte(4.5)=4
	f("max result dimension", 2000, 1000, false, func(o *options.Options) { o.Width, o.Limits.MaxResultDimension = 1000, 500 },
		want{500, 250, 500, 250, 500, 250})
	f("max result dimension with padding", 2000, 1000, false, func(o *options.Options) {
		o.Width, o.Limits.MaxResultDimension = 1000, 510
		o.Padding = options.Padding{Enabled: true, Top: 10, Right: 10, Bottom: 10, Left: 10}
	}, want{500, 250, 500, 250, 510, 260})
	f("vector ignores enlarge", 100, 50, true, func(o *options.Options) { o.Width = 400 }, want{400, 200, 400, 200, 400, 200})
	f("tiny", 1, 1, false, func(o *options.Options) { o.Width, o.Height = 5, 5 }, want{1, 1, 1, 1, 1, 1})
	f("extreme downscale keeps 1px", 10000, 10, false, func(o *options.Options) { o.Width = 10 }, want{10, 1, 10, 1, 10, 1})
}

func TestPosition(t *testing.T) {
	f := func(g options.Gravity, dpr float64, overflow bool, wantX, wantY int) {
		t.Helper()
		x, y := position(100, 80, 40, 20, g, dpr, overflow)
		if x != wantX || y != wantY {
			t.Errorf("%+v dpr=%v: got %d,%d; want %d,%d", g, dpr, x, y, wantX, wantY)
		}
	}
	f(options.Gravity{}, 1, false, 30, 30)
	f(options.Gravity{X: 5, Y: -5}, 1, false, 35, 25)
	f(options.Gravity{X: 5, Y: -5}, 2, false, 40, 20)
	f(options.Gravity{X: 0.1, Y: 0.5}, 3, false, 40, 60) // fractions of the outer size, not dpr-scaled
	f(options.Gravity{Type: options.GravityNorth}, 1, false, 30, 0)
	f(options.Gravity{Type: options.GravitySouth, Y: 5}, 1, false, 30, 55)
	f(options.Gravity{Type: options.GravityEast, X: 5}, 1, false, 55, 30)
	f(options.Gravity{Type: options.GravityWest, X: 5}, 1, false, 5, 30)
	f(options.Gravity{Type: options.GravityNorthEast}, 1, false, 60, 0)
	f(options.Gravity{Type: options.GravityNorthWest}, 1, false, 0, 0)
	f(options.Gravity{Type: options.GravitySouthEast}, 1, false, 60, 60)
	f(options.Gravity{Type: options.GravitySouthWest}, 1, false, 0, 60)
	f(options.Gravity{Type: options.GravityNorthWest, X: -10}, 1, false, 0, 0)
	f(options.Gravity{Type: options.GravityNorthWest, X: -10}, 1, true, -10, 0)
	f(options.Gravity{Type: options.GravityFocusPoint, X: 0.5, Y: 0.5}, 1, false, 30, 30)
	f(options.Gravity{Type: options.GravityFocusPoint, X: 1, Y: 0}, 1, false, 60, 0)
	f(options.Gravity{Type: options.GravityFocusPoint, X: 0.25, Y: 0.75}, 1, false, 5, 50)
}

// applyOrient transforms a small labelled grid the slow obvious way.
func applyOrient(px [][]int, t orient) [][]int {
	rot := func(p [][]int) [][]int { // 90° clockwise
		h, w := len(p), len(p[0])
		out := make([][]int, w)
		for y := range out {
			out[y] = make([]int, h)
			for x := range out[y] {
				out[y][x] = p[h-1-x][y]
			}
		}
		return out
	}
	for a := 0; a < t.Angle; a += 90 {
		px = rot(px)
	}
	if t.Flip {
		for _, row := range px {
			for i, j := 0, len(row)-1; i < j; i, j = i+1, j-1 {
				row[i], row[j] = row[j], row[i]
			}
		}
	}
	return px
}

func grid(w, h int) [][]int {
	g := make([][]int, h)
	for y := range g {
		g[y] = make([]int, w)
		for x := range g[y] {
			g[y][x] = y*w + x
		}
	}
	return g
}

func TestOrientToRaw(t *testing.T) {
	const w, h = 5, 3
	for _, tr := range []orient{{0, false}, {90, false}, {180, false}, {270, false}, {0, true}, {90, true}, {180, true}, {270, true}} {
		out := applyOrient(grid(w, h), tr)
		for y := range out {
			for x := range out[y] {
				rx, ry := tr.toRaw(x, y, w, h)
				if got := ry*w + rx; got != out[y][x] {
					t.Fatalf("%+v: pixel %d,%d maps to raw %d; want %d", tr, x, y, got, out[y][x])
				}
			}
		}
		r := tr.rectToRaw(rect{X: 1, Y: 0, W: 2, H: 2}, w, h)
		if r.W*r.H != 4 {
			t.Fatalf("%+v: rect %+v has the wrong area", tr, r)
		}
	}
}

func TestOrientCompose(t *testing.T) {
	// Composing EXIF + rotate + flips must equal applying them one by one.
	for exif := 1; exif <= 8; exif++ {
		for _, rot := range []int{0, 90, 180, 270} {
			for fl := 0; fl < 4; fl++ {
				o := defaultOptions()
				o.Rotate, o.FlipH, o.FlipV = rot, fl&1 != 0, fl&2 != 0
				got := applyOrient(grid(4, 3), transformFor(&o, exif))
				want := applyOrient(grid(4, 3), exifOrient(exif))
				want = applyOrient(want, orient{Angle: rot})
				if o.FlipH {
					want = applyOrient(want, orient{Flip: true})
				}
				if o.FlipV {
					want = applyOrient(applyOrient(want, orient{Angle: 180}), orient{Flip: true})
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("exif %d rot %d flips %d: got %v; want %v", exif, rot, fl, got, want)
				}
			}
		}
	}
}

func TestCapSize(t *testing.T) {
	f := func(fm options.Format, w, h, ww, wh int) {
		t.Helper()
		if gw, gh := capSize(fm, w, h); gw != ww || gh != wh {
			t.Errorf("%v %dx%d: got %dx%d; want %dx%d", fm, w, h, gw, gh, ww, wh)
		}
	}
	f(options.FormatICO, 512, 256, 256, 128)
	f(options.FormatWebP, 20000, 100, 16383, 82)
	f(options.FormatAVIF, 100, 20000, 82, 16384)
	f(options.FormatJPEG, 20000, 100, 20000, 100)
}

func TestNextQuality(t *testing.T) {
	f := func(q, size, limit, want int) {
		t.Helper()
		if got := nextQuality(q, size, limit); got != want {
			t.Errorf("nextQuality(%d, %d, %d): got %d; want %d", q, size, limit, got, want)
		}
	}
	f(80, 400, 100, 20)
	f(80, 200, 100, 40)
	f(80, 110, 100, 60)
	f(2, 110, 100, 1)
	f(11, 101, 100, 8)
}

func TestChooseFormat(t *testing.T) {
	pref := []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatGIF}
	webp := options.FormatSet(0).With(options.FormatWebP)
	avifWebp := webp.With(options.FormatAVIF)
	f := func(name string, req, src options.Format, neg options.Negotiation, animated, alpha bool, want options.Format) {
		t.Helper()
		if neg.Preferred == nil {
			neg.Preferred = pref
		}
		if got := chooseFormat(req, src, &neg, animated, alpha); got != want {
			t.Errorf("%s: got %v; want %v", name, got, want)
		}
	}
	f("explicit", options.FormatPNG, options.FormatJPEG, options.Negotiation{}, false, false, options.FormatPNG)
	f("explicit beaten by enforce", options.FormatPNG, options.FormatJPEG, options.Negotiation{Enforce: webp}, false, false, options.FormatWebP)
	f("explicit not beaten by auto", options.FormatPNG, options.FormatJPEG, options.Negotiation{Auto: webp}, false, false, options.FormatPNG)
	f("auto priority", 0, options.FormatJPEG, options.Negotiation{Auto: avifWebp}, false, false, options.FormatAVIF)
	f("auto animated skips avif", 0, options.FormatGIF, options.Negotiation{Auto: avifWebp}, true, false, options.FormatWebP)
	f("source preferred", 0, options.FormatPNG, options.Negotiation{}, false, false, options.FormatPNG)
	f("source not preferred", 0, options.FormatTIFF, options.Negotiation{}, false, false, options.FormatJPEG)
	f("needs alpha", 0, options.FormatTIFF, options.Negotiation{}, false, true, options.FormatPNG)
	f("needs animation", 0, options.FormatWebP, options.Negotiation{}, true, false, options.FormatGIF)
	f("nothing fits", 0, options.FormatWebP, options.Negotiation{Preferred: []options.Format{options.FormatJPEG}}, false, true, options.FormatJPEG)
}
