package vips

import (
	"context"
	"math/rand"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// TestRandomOptions runs random option combinations and checks that the
// pipeline never fails and always produces exactly the size the geometry
// planned (docs/processing.md, "Geometry"), for still and EXIF-rotated sources.
func TestRandomOptions(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.WatermarkData = pngBytes(t, testPattern(6, 4, true)) })
	rnd := rand.New(rand.NewSource(4))
	srcs := [][]byte{sourceSized(t, options.FormatPNG, 40, 30, true), sourceSized(t, options.FormatJPEG, 64, 40, false)}
	gravities := []options.GravityType{options.GravityCenter, options.GravityNorth, options.GravitySouthEast,
		options.GravityWest, options.GravitySmart, options.GravityFocusPoint}
	pick := func(n int) int { return rnd.Intn(n) }
	grav := func(smart bool) options.Gravity {
		g := options.Gravity{Type: gravities[pick(len(gravities))]}
		if g.Type == options.GravitySmart && !smart {
			g.Type = options.GravityCenter
		}
		if g.Type == options.GravityFocusPoint {
			g.X, g.Y = rnd.Float64(), rnd.Float64()
		} else if g.Type != options.GravitySmart && pick(2) == 0 {
			g.X, g.Y = float64(pick(9)-4), rnd.Float64()-0.5
		}
		return g
	}
	n := 200
	if testing.Short() {
		n = 60
	}
	for i := 0; i < n; i++ {
		o := defaultOptions()
		o.ResizingType = options.ResizingType(pick(5))
		o.Width, o.Height = pick(4)*pick(50), pick(4)*pick(50)
		if pick(4) == 0 {
			o.MinWidth, o.MinHeight = pick(60), pick(60)
		}
		if pick(4) == 0 {
			o.ZoomX, o.ZoomY = 0.2+rnd.Float64()*2, 0.2+rnd.Float64()*2
		}
		if pick(3) == 0 {
			o.Dpr = 1 + float64(pick(3))
		}
		o.Enlarge = pick(2) == 0
		o.Extend = options.Extend{Enabled: pick(3) == 0, Gravity: grav(false)}
		o.ExtendAspectRatio = options.Extend{Enabled: pick(4) == 0, Gravity: grav(false)}
		o.Gravity = grav(true)
		if pick(3) == 0 {
			o.Crop = options.Crop{Width: float64(pick(50)), Height: rnd.Float64(), Gravity: grav(true), HasGravity: pick(2) == 0}
		}
		if pick(5) == 0 {
			o.Padding = options.Padding{Enabled: true, Top: pick(5), Right: pick(5), Bottom: pick(5), Left: pick(5)}
		}
		o.Rotate = 90 * pick(4)
		o.FlipH, o.FlipV = pick(3) == 0, pick(3) == 0
		if pick(4) == 0 {
			o.Blur = rnd.Float64() * 2
		}
		if pick(4) == 0 {
			o.Pixelate = pick(6)
		}
		if pick(4) == 0 {
			o.Watermark = options.Watermark{Opacity: rnd.Float64(), Position: grav(false), Scale: rnd.Float64() * float64(pick(2))}
		}
		if pick(4) == 0 {
			o.Background, o.HasBackground = options.Color{R: 10, G: 200, B: 30}, true
		}
		if pick(6) == 0 {
			o.Limits.MaxResultDimension = 10 + pick(40)
		}
		o.Format = []options.Format{options.FormatUnknown, options.FormatJPEG, options.FormatPNG, options.FormatWebP}[pick(4)]
		src := srcs[pick(len(srcs))]

		out, err := processBytes(context.Background(), p, src, &o, nil)
		if err != nil {
			t.Fatalf("case %d %+v: %v", i, o, err)
		}
		n, res := len(out.Data), out.Meta
		out.Release()
		if n == 0 {
			t.Fatalf("case %d: empty result", i)
		}
		sw, sh := res.SrcWidth, res.SrcHeight
		if o.Rotate%180 == 90 {
			sw, sh = sh, sw
		}
		g := computeGeometry(&o, sw, sh, false)
		ww, wh := capSize(res.Format, g.FinalW, g.FinalH)
		if res.Width != ww || res.Height != wh {
			t.Fatalf("case %d %+v: got %dx%d; want %dx%d", i, o, res.Width, res.Height, ww, wh)
		}
	}
}
