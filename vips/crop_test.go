package vips

import (
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

func TestSmartCrop(t *testing.T) {
	p := newTestProcessor(t, nil)
	o := defaultOptions()
	o.ResizingType, o.Width, o.Height = options.ResizeFill, 50, 50
	o.Gravity = options.Gravity{Type: options.GravitySmart}
	src := pngBytes(t, testPattern(160, 120, false))
	out, res := process(t, p, src, o, nil)
	if res.Width != 50 || res.Height != 50 {
		t.Fatalf("got %dx%d; want 50x50", res.Width, res.Height)
	}
	ref := gvLoad(t, src)
	defer ref.Close()
	must(t, ref.Resize(50.0/120, gv.KernelLanczos3))
	must(t, ref.SmartCrop(50, 50, gv.InterestingAttention))
	refPix, _, _ := refPixels(t, ref)
	pix, _, _ := pixels(t, out)
	if d := meanDiff(pix, refPix); d > 3 {
		t.Fatalf("mean difference %.2f; want <= 3", d)
	}
}
