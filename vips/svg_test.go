package vips

import (
	"context"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

func TestSVGRenderSize(t *testing.T) {
	f := func(name string, w, h int, mod func(o *options.Options), ww, wh int) {
		t.Helper()
		o := defaultOptions()
		mod(&o)
		gw, gh := svgRenderSize(imagemeta.Meta{Format: options.FormatSVG, Width: w, Height: h}, &o)
		if gw != ww || gh != wh {
			t.Errorf("%s: got %dx%d; want %dx%d", name, gw, gh, ww, wh)
		}
	}
	f("as is", 1000, 500, func(o *options.Options) {}, 1000, 500)
	f("fit 300", 1000, 500, func(o *options.Options) { o.Width, o.Height = 300, 300 }, 300, 150)
	f("width 2000 (vectors scale up)", 1000, 500, func(o *options.Options) { o.Width = 2000 }, 2000, 1000)
	f("vector guard", 10000, 10000, func(o *options.Options) {}, 7071, 7071)
	f("trim renders full size", 10000, 10000, func(o *options.Options) { o.Trim.Enabled, o.Width = true, 100 }, 7071, 7071)
	f("crop renders the whole at the crop's scale", 1000, 1000, func(o *options.Options) {
		o.Crop.Width, o.Crop.Height, o.Width = 500, 500, 1000
	}, 2000, 2000)
	f("unknown size: the resolution limit", 0, 0, func(o *options.Options) {}, 7071, 7071)
}

// TestSVGFilterBomb: a filter out of proportion to the rendering is refused
// before librsvg runs; the same blur on a small rendering renders.
func TestSVGFilterBomb(t *testing.T) {
	p := newTestProcessor(t, nil)
	doc := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8000" height="8000"><filter id="f">` +
		`<feGaussianBlur stdDeviation="40"/></filter><rect width="8000" height="8000" fill="red" filter="url(#f)"/></svg>`)
	o := defaultOptions()
	o.Format = options.FormatPNG
	full, err := processBytes(context.Background(), p, doc, &o, nil)
	full.Release()
	if kindOf(err) != options.KindBrokenSVG {
		t.Fatalf("full size: got %v; want a broken SVG", err)
	}
	o.Width, o.Height = 200, 200
	out, res := process(t, p, doc, o, nil)
	if res.Width != 200 || sniff(out) != options.FormatPNG {
		t.Fatalf("200 px: got %s %dx%d", sniff(out), res.Width, res.Height)
	}
}
