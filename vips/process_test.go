package vips

import (
	"bytes"
	"context"
	goimage "image"
	"image/color/palette"
	"image/gif"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// countingOwner is a source owner that counts its releases.
type countingOwner struct{ n int }

func (c *countingOwner) Release() { c.n++ }

// TestProcessOwnsSource pins the ownership contract of Process: the source
// is released exactly once on every path, at once when the result does not
// alias it, and only with the Output when it does (skip_processing, SVG
// passthrough without sanitising).
func TestProcessOwnsSource(t *testing.T) {
	sanitising := newTestProcessor(t, nil)
	raw := newTestProcessor(t, func(c *Config) { c.SanitizeSVG = false })
	jpeg := sourceIn(t, options.FormatJPEG, false)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>`)
	f := func(name string, p *Processor, data []byte, mod func(o *options.Options), aliased, fails bool) {
		t.Helper()
		var owner countingOwner
		src := options.NewSource(bytes.Clone(data), &owner)
		o := defaultOptions()
		mod(&o)
		out, err := p.Process(context.Background(), &src, &o, nil)
		if (err != nil) != fails {
			t.Fatalf("%s: got error %v; want failure %v", name, err, fails)
		}
		if src.Data != nil {
			t.Fatalf("%s: the caller's Source still has its data after Process", name)
		}
		if want := map[bool]int{true: 0, false: 1}[aliased]; owner.n != want {
			t.Fatalf("%s: source released %d times before the Output; want %d", name, owner.n, want)
		}
		if aliased && (len(out.Data) != len(data) || !out.Meta.Passthrough) {
			t.Fatalf("%s: got %d bytes (passthrough %v); want the source's %d", name, len(out.Data), out.Meta.Passthrough, len(data))
		}
		out.Release()
		out.Release() // a second release does nothing
		if owner.n != 1 {
			t.Fatalf("%s: source released %d times in all; want 1", name, owner.n)
		}
	}
	f("processed", sanitising, jpeg, func(o *options.Options) { o.Width = 10 }, false, false)
	f("skip_processing", sanitising, jpeg, func(o *options.Options) {
		o.SkipProcessing = options.FormatSet(0).With(options.FormatJPEG)
	}, true, false)
	f("sanitised svg", sanitising, svg, func(o *options.Options) {}, false, false)
	f("svg as is", raw, svg, func(o *options.Options) {}, true, false)
	f("rasterised svg", sanitising, svg, func(o *options.Options) { o.Format = options.FormatPNG }, false, false)
	f("garbage", sanitising, []byte("not an image"), func(o *options.Options) {}, false, true)
	f("too big", sanitising, jpeg, func(o *options.Options) { o.Limits.MaxSrcResolution = 10 }, false, true)
}

// TestPassthroughLimits: skip_processing returns the source as it is, but
// a source over the resolution limit is still refused (KindSourceTooBig →
// 422), like imgproxy; only the first frame counts.
func TestPassthroughLimits(t *testing.T) {
	p := newTestProcessor(t, nil)
	jpeg := sourceSized(t, options.FormatJPEG, 200, 100, false) // 20000 pixels
	skip := func(mod func(o *options.Options)) error {
		o := defaultOptions()
		o.SkipProcessing = options.FormatSet(0).With(options.FormatJPEG).With(options.FormatGIF)
		mod(&o)
		out, err := processBytes(context.Background(), p, jpeg, &o, nil)
		out.Release()
		return err
	}
	if err := skip(func(o *options.Options) { o.Limits.MaxSrcResolution = 20000 }); err != nil {
		t.Fatalf("at the limit: got %v; want the source", err)
	}
	if err := skip(func(o *options.Options) { o.Limits.MaxSrcResolution = 19999 }); kindOf(err) != options.KindSourceTooBig {
		t.Fatalf("over the limit: got %v; want KindSourceTooBig", err)
	}
	// An animation passes when one frame is within the limit.
	var anim gif.GIF
	for range 3 {
		anim.Image = append(anim.Image, goimage.NewPaletted(goimage.Rect(0, 0, 100, 100), palette.Plan9))
		anim.Delay = append(anim.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &anim); err != nil {
		t.Fatal(err)
	}
	jpeg = b.Bytes()
	if err := skip(func(o *options.Options) { o.Limits.MaxSrcResolution, o.Limits.MaxAnimationFrames = 10000, 3 }); err != nil {
		t.Fatalf("animation with one frame at the limit: got %v; want the source", err)
	}
	if err := skip(func(o *options.Options) { o.Limits.MaxSrcResolution = 9999 }); kindOf(err) != options.KindSourceTooBig {
		t.Fatalf("animation over the limit: got %v; want KindSourceTooBig", err)
	}
}
