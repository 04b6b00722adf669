package vips

import (
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

// goldenCase is one option on the 160×120 test pattern: the result must
// have format/size want* and look like ref (govips operations on the same
// source) within maxDiff mean absolute difference per channel.
type goldenCase struct {
	name       string
	alpha      bool
	mod        func(o *options.Options)
	wantFormat options.Format
	wantW      int
	wantH      int
	ref        func(t *testing.T, im *gv.ImageRef)
	maxDiff    float64
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	p := newTestProcessor(t, nil)
	cases := []goldenCase{
		{name: "fit", mod: func(o *options.Options) { o.Width, o.Height = 80, 80 }, wantW: 80, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Resize(0.5, gv.KernelLanczos3)) }},
		{name: "width-only", mod: func(o *options.Options) { o.Width = 40 }, wantW: 40, wantH: 30,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Resize(0.25, gv.KernelLanczos3)) }},
		{name: "fill", mod: func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeFill, 60, 60 }, wantW: 60, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Resize(0.5, gv.KernelLanczos3))
				must(t, im.ExtractArea(10, 0, 60, 60))
			}},
		{name: "fill-gravity-east", mod: func(o *options.Options) {
			o.ResizingType, o.Width, o.Height = options.ResizeFill, 60, 60
			o.Gravity = options.Gravity{Type: options.GravityEast}
		}, wantW: 60, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Resize(0.5, gv.KernelLanczos3))
				must(t, im.ExtractArea(20, 0, 60, 60))
			}},
		{name: "fill-fp", mod: func(o *options.Options) {
			o.ResizingType, o.Width, o.Height = options.ResizeFill, 40, 60
			o.Gravity = options.Gravity{Type: options.GravityFocusPoint, X: 0.75, Y: 0.5}
		}, wantW: 40, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Resize(0.5, gv.KernelLanczos3))
				must(t, im.ExtractArea(40, 0, 40, 60)) // 60-20=40, clamped to 80-40
			}},
		{name: "force", mod: func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeForce, 100, 50 }, wantW: 100, wantH: 50,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.ResizeWithVScale(100.0/160, 50.0/120, gv.KernelLanczos3))
			}},
		{name: "fill-down", mod: func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeFillDown, 320, 100 }, wantW: 160, wantH: 50,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.ExtractArea(0, 35, 160, 50)) }},
		{name: "enlarge", mod: func(o *options.Options) { o.Width, o.Enlarge = 320, true }, wantW: 320, wantH: 240,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Resize(2, gv.KernelLanczos3)) }},
		{name: "no-enlarge", mod: func(o *options.Options) { o.Width = 320 }, wantW: 160, wantH: 120,
			ref: func(t *testing.T, im *gv.ImageRef) {}},
		{name: "zoom", mod: func(o *options.Options) { o.ZoomX, o.ZoomY = 0.5, 0.25 }, wantW: 80, wantH: 30,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.ResizeWithVScale(0.5, 0.25, gv.KernelLanczos3)) }},
		{name: "dpr", mod: func(o *options.Options) { o.Width, o.Dpr = 40, 2 }, wantW: 80, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Resize(0.5, gv.KernelLanczos3)) }},
		{name: "min-width", mod: func(o *options.Options) { o.Height, o.MinWidth = 30, 80 }, wantW: 80, wantH: 30,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Resize(0.5, gv.KernelLanczos3))
				must(t, im.ExtractArea(0, 15, 80, 30))
			}},
		{name: "crop-nowe", mod: func(o *options.Options) {
			o.Crop = options.Crop{Width: 80, Height: 60, Gravity: options.Gravity{Type: options.GravityNorthWest}, HasGravity: true}
		}, wantW: 80, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.ExtractArea(0, 0, 80, 60)) }},
		{name: "crop-fraction-soea-offset", mod: func(o *options.Options) {
			o.Crop = options.Crop{Width: 0.5, Height: 0.5, Gravity: options.Gravity{Type: options.GravitySouthEast, X: 10, Y: 5}, HasGravity: true}
		}, wantW: 80, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.ExtractArea(70, 55, 80, 60)) }},
		{name: "crop-then-resize", mod: func(o *options.Options) {
			o.Crop = options.Crop{Width: 80, Height: 120}
			o.Width = 40
		}, wantW: 40, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.ExtractArea(40, 0, 80, 120))
				must(t, im.Resize(0.5, gv.KernelLanczos3))
			}},
		{name: "rotate90", mod: func(o *options.Options) { o.Rotate = 90 }, wantW: 120, wantH: 160,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Rotate(gv.Angle90)) }},
		{name: "rotate270-fill", mod: func(o *options.Options) {
			o.Rotate = 270
			o.ResizingType, o.Width, o.Height = options.ResizeFill, 60, 40
			o.Gravity = options.Gravity{Type: options.GravityNorth}
		}, wantW: 60, wantH: 40,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Rotate(gv.Angle270))
				must(t, im.Resize(0.5, gv.KernelLanczos3))
				must(t, im.ExtractArea(0, 0, 60, 40))
			}},
		{name: "flip-h", mod: func(o *options.Options) { o.FlipH = true }, wantW: 160, wantH: 120,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Flip(gv.DirectionHorizontal)) }},
		{name: "rotate90-flip-v", mod: func(o *options.Options) { o.Rotate, o.FlipV = 90, true }, wantW: 120, wantH: 160,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Rotate(gv.Angle90))
				must(t, im.Flip(gv.DirectionVertical))
			}},
		{name: "blur", mod: func(o *options.Options) { o.Blur = 2 }, wantW: 160, wantH: 120,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.GaussianBlur(2)) }},
		{name: "sharpen", mod: func(o *options.Options) { o.Sharpen = 1 }, wantW: 160, wantH: 120,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Sharpen(1, 2, 3)) }},
		{name: "extend", mod: func(o *options.Options) {
			o.Format, o.Width, o.Height = options.FormatPNG, 200, 200
			o.Extend = options.Extend{Enabled: true}
		}, wantW: 200, wantH: 200,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.AddAlpha())
				must(t, im.EmbedBackgroundRGBA(20, 40, 200, 200, &gv.ColorRGBA{}))
			}},
		{name: "extend-south-jpeg-bg", mod: func(o *options.Options) {
			o.Width, o.Height = 200, 200
			o.Extend = options.Extend{Enabled: true, Gravity: options.Gravity{Type: options.GravitySouth}}
			o.Background, o.HasBackground = options.Color{R: 0, G: 0, B: 255}, true
		}, wantW: 200, wantH: 200,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.EmbedBackground(20, 80, 200, 200, &gv.Color{B: 255}))
			}},
		{name: "extend-aspect-ratio", mod: func(o *options.Options) {
			o.Format, o.Width, o.Height = options.FormatPNG, 100, 100
			o.ExtendAspectRatio = options.Extend{Enabled: true}
		}, wantW: 100, wantH: 100,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.Resize(100.0/160, gv.KernelLanczos3))
				must(t, im.AddAlpha())
				must(t, im.EmbedBackgroundRGBA(0, 13, 100, 100, &gv.ColorRGBA{}))
			}},
		{name: "padding", mod: func(o *options.Options) {
			o.Padding = options.Padding{Enabled: true, Top: 10, Right: 20, Bottom: 10, Left: 20}
		}, wantW: 200, wantH: 140,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.AddAlpha())
				must(t, im.EmbedBackgroundRGBA(20, 10, 200, 140, &gv.ColorRGBA{}))
			}},
		{name: "padding-dpr", mod: func(o *options.Options) {
			o.Width, o.Dpr, o.Format = 80, 2, options.FormatJPEG
			o.Padding = options.Padding{Enabled: true, Top: 5, Right: 5, Bottom: 5, Left: 5}
		}, wantW: 180, wantH: 140,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.EmbedBackground(10, 10, 180, 140, &gv.Color{R: 255, G: 255, B: 255}))
			}},
		{name: "background-flatten", alpha: true, mod: func(o *options.Options) {
			o.Background, o.HasBackground = options.Color{R: 255}, true
		}, wantFormat: options.FormatPNG, wantW: 160, wantH: 120,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Flatten(&gv.Color{R: 255})) }},
		{name: "alpha-to-jpeg-white", alpha: true, mod: func(o *options.Options) { o.Format = options.FormatJPEG },
			wantW: 160, wantH: 120,
			ref: func(t *testing.T, im *gv.ImageRef) { must(t, im.Flatten(&gv.Color{R: 255, G: 255, B: 255})) }},
		{name: "alpha-resize", alpha: true, mod: func(o *options.Options) { o.Width = 80 }, wantFormat: options.FormatPNG, wantW: 80, wantH: 60,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.PremultiplyAlpha())
				must(t, im.Resize(0.5, gv.KernelLanczos3))
				must(t, im.UnpremultiplyAlpha())
				must(t, im.Cast(gv.BandFormatUchar))
			}},
		{name: "max-result-dimension", mod: func(o *options.Options) { o.Width, o.Limits.MaxResultDimension = 100, 50 }, wantW: 50, wantH: 38,
			ref: func(t *testing.T, im *gv.ImageRef) {
				must(t, im.ResizeWithVScale(50.0/160, 38.0/120, gv.KernelLanczos3))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := pngBytes(t, testPattern(160, 120, c.alpha))
			o := defaultOptions()
			c.mod(&o)
			out, res := process(t, p, src, o, nil)
			want := c.wantFormat
			if want == options.FormatUnknown {
				want = o.Format
				if want == options.FormatUnknown {
					want = options.FormatPNG // source format is preferred
				}
			}
			if got := sniff(out); got != want || res.Format != want {
				t.Fatalf("got format %v (meta %v); want %v", got, res.Format, want)
			}
			gotPix, w, h := pixels(t, out)
			if w != c.wantW || h != c.wantH || res.Width != w || res.Height != h {
				t.Fatalf("got %dx%d (meta %dx%d); want %dx%d", w, h, res.Width, res.Height, c.wantW, c.wantH)
			}
			ref := gvLoad(t, src)
			defer ref.Close()
			c.ref(t, ref)
			refPix, rw, rh := refPixels(t, ref)
			if rw != w || rh != h {
				t.Fatalf("reference is %dx%d; want %dx%d", rw, rh, w, h)
			}
			maxDiff := c.maxDiff
			if maxDiff == 0 {
				maxDiff = 3
			}
			if d := meanDiff(gotPix, refPix); d > maxDiff {
				t.Fatalf("mean difference to reference %.2f; want <= %.2f", d, maxDiff)
			}
		})
	}
}
