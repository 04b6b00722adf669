package vips

import (
	"context"
	"runtime"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// TestNoLeaks processes a few thousand small images through many paths
// (errors included) and checks that libvips' tracked memory and
// allocation count come back to where they started.
func TestNoLeaks(t *testing.T) {
	mark := pngBytes(t, testPattern(8, 8, true))
	// The decode cache holds images on purpose: TestDecodeCacheReleases
	// checks it on its own.
	p := newTestProcessor(t, func(c *Config) { c.WatermarkData, c.DecodeCacheSize = mark, 0 })
	srcs := [][]byte{
		sourceSized(t, options.FormatJPEG, 48, 36, false),
		sourceSized(t, options.FormatPNG, 48, 36, true),
		sourceSized(t, options.FormatWebP, 48, 36, false),
		sourceSized(t, options.FormatGIF, 48, 36, false),
		sourceSized(t, options.FormatBMP, 48, 36, false),
		[]byte("not an image"),
	}
	mods := []func(o *options.Options){
		func(o *options.Options) { o.Width = 16 },
		func(o *options.Options) { o.ResizingType, o.Width, o.Height = options.ResizeFill, 20, 20 },
		func(o *options.Options) { o.Rotate, o.Width, o.Format = 90, 24, options.FormatWebP },
		func(o *options.Options) { o.Width, o.Blur, o.Sharpen = 30, 1, 1 },
		func(o *options.Options) {
			o.Width, o.Padding = 20, options.Padding{Enabled: true, Top: 2, Right: 2, Bottom: 2, Left: 2}
		},
		func(o *options.Options) {
			o.Width, o.Watermark = 40, options.Watermark{Opacity: 0.5, Position: options.Gravity{Type: options.GravityReplicate}}
		},
		func(o *options.Options) { o.Width, o.MaxBytes, o.Format = 40, 300, options.FormatJPEG },
		func(o *options.Options) { o.Limits.MaxSrcResolution = 10 }, // error path
		func(o *options.Options) { o.Width, o.Trim = 30, options.Trim{Enabled: true, Threshold: 10} },
		func(o *options.Options) {
			o.Width, o.Height, o.Extend, o.Gravity = 30, 30, options.Extend{Enabled: true}, options.Gravity{Type: options.GravitySmart}
		},
		// The imgproxy Pro options' steps and encoders.
		func(o *options.Options) {
			o.Width, o.Adjust, o.Duotone = 30, options.Adjust{Brightness: 9, Contrast: 1.2, Saturation: 0.8}, options.Duotone{Intensity: 0.5}
			o.BlurAreas = options.BlurAreas{Sigma: 2, N: 1, Areas: [options.MaxBlurAreas]options.Area{{Left: 0.1, Top: 0.1, Width: 0.5, Height: 0.5}}}
			o.ProgressiveBlur = options.ProgressiveBlur{Sigma: 2, Ramp: options.Ramp{Stop: 1}}
			o.UnsharpMasking = options.UnsharpMasking{Mode: options.UnsharpAlways, Weight: 1, Divider: 24}
			o.Colorize, o.Gradient = options.Colorize{Opacity: 0.3}, options.Gradient{Opacity: 0.5, Ramp: options.Ramp{Angle: 30, Stop: 1}}
			o.Padding = options.Padding{Enabled: true, Top: 2}
			o.Background, o.HasBackground, o.BackgroundAlpha, o.HasBackgroundAlpha = options.Color{R: 9}, true, 0.5, true
			o.Format, o.Encoding.PNG = options.FormatPNG, options.PNGOptions{Quantize: true, QuantizationColors: 10}
		},
		func(o *options.Options) {
			o.Width, o.DPI, o.Format = 20, 300, options.FormatJPEG
			o.Encoding.JPEG = options.JPEGOptions{Progressive: true, NoSubsample: true}
		},
		func(o *options.Options) {
			o.Width, o.Page, o.Pages, o.Monochrome = 20, 0, 2, options.Monochrome{Intensity: 1}
		},
		func(o *options.Options) { o.Page = 5 }, // error path for paged sources
	}
	run := func(n int) {
		for i := 0; i < n; i++ {
			o := defaultOptions()
			mods[i%len(mods)](&o)
			out, err := processBytes(context.Background(), p, srcs[(i/len(mods))%len(srcs)], &o, nil)
			if err == nil {
				if len(out.Data) == 0 {
					t.Fatal("empty result")
				}
				out.Release()
			}
		}
	}
	n := 2000
	if testing.Short() {
		n = 600
	}
	// libvips keeps buffers per OS thread until ThreadShutdown, as a
	// worker does: stay on one thread and release them before measuring.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	run(60) // warm up libvips' lazily created state
	ThreadShutdown()
	mem0, _, allocs0 := MemStats()
	objs0 := liveObjects()
	run(n)
	ThreadShutdown()
	mem1, high, allocs1 := MemStats()
	if objs := liveObjects(); objs != objs0 {
		t.Fatalf("after %d images %d libvips objects are alive; want %d", n, objs, objs0)
	}
	// libvips' own worker threads keep a few pixel buffers cached per
	// thread (freed only when they exit), so allow a small fixed slack; a
	// leak of anything per request would exceed it n times over.
	const memSlack, allocSlack = 512 << 10, 64
	if mem1 > mem0+memSlack || allocs1 > allocs0+allocSlack {
		t.Fatalf("after %d images libvips holds %d bytes in %d allocations; want <= %d bytes in %d (+%d B/%d allocs slack; high-water %d)",
			n, mem1, allocs1, mem0, allocs0, memSlack, allocSlack, high)
	}
}
