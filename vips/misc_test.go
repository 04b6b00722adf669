package vips

import (
	"context"
	"fmt"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := []func(c *Config){
		func(c *Config) { c.Quality = 0 },
		func(c *Config) { c.Quality = 101 },
		func(c *Config) { c.FormatQuality[options.FormatWebP] = 120 },
		func(c *Config) { c.StripMetadataDPI = 0 },
		func(c *Config) { c.WebPEffort = 7 },
		func(c *Config) { c.AVIFSpeed = 10 },
		func(c *Config) { c.JXLEffort = 0 },
		func(c *Config) { c.WatermarkOpacity = 1.5 },
		func(c *Config) { c.MaxSVGCheckBytes = -1 },
		func(c *Config) { c.MaxResultPixels = 0 },
	}
	for i, mod := range bad {
		c := DefaultConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: got nil error for %+v", i, c)
		}
		if _, err := NewProcessor(c); err == nil {
			t.Errorf("case %d: NewProcessor accepted an invalid config", i)
		}
	}
	c := DefaultConfig()
	c.WatermarkData = []byte("not an image")
	if _, err := NewProcessor(c); kindOf(err) != options.KindInvalidImage {
		t.Errorf("bad watermark: got %v; want invalid image", err)
	}
}

func TestHealthAndMemStats(t *testing.T) {
	if err := Health(); err != nil {
		t.Fatalf("Health: %v", err)
	}
	_, high, _ := MemStats()
	if high <= 0 {
		t.Fatalf("got high-water %d; want > 0 after startup and Health", high)
	}
}

func TestLinearColorspace(t *testing.T) {
	plain := newTestProcessor(t, nil)
	linear := newTestProcessor(t, func(c *Config) { c.UseLinearColorspace = true })
	src := pngBytes(t, testPattern(160, 120, false))
	o := defaultOptions()
	o.Width = 40
	a, _ := process(t, plain, src, o, nil)
	b, res := process(t, linear, src, o, nil)
	pa, _, _ := pixels(t, a)
	pb, _, _ := pixels(t, b)
	if res.Width != 40 || res.Height != 30 {
		t.Fatalf("got %dx%d; want 40x30", res.Width, res.Height)
	}
	if d := meanDiff(pa, pb); d == 0 || d > 8 {
		t.Fatalf("linear vs gamma resize differ by %.2f; want a small non-zero difference", d)
	}
}

func TestUntrustedLoadersBlocked(t *testing.T) {
	// libvips would hand BMP and ICO to ImageMagick; Startup blocks it.
	for _, f := range []options.Format{options.FormatBMP, options.FormatICO} {
		err := loadAny(sourceSized(t, f, 8, 8, false))
		if err == nil {
			t.Fatalf("libvips loaded %v through a blocked loader", f)
		}
		t.Logf("%v: %v", f, err)
	}
	// The allowed loaders still work through the generic path.
	if err := loadAny(sourceSized(t, options.FormatPNG, 8, 8, false)); err != nil {
		t.Fatalf("png: %v", err)
	}
}

func TestConcurrentProcess(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.WatermarkData = pngBytes(t, testPattern(6, 4, true)) })
	src := sourceSized(t, options.FormatJPEG, 64, 48, false)
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 20; i++ {
				o := defaultOptions()
				o.Width = 10 + g + i
				o.Watermark = options.Watermark{Opacity: 0.5, Position: options.Gravity{Type: options.GravityReplicate}}
				out, err := processBytes(context.Background(), p, src, &o, nil)
				if err != nil {
					errs <- err
					return
				}
				out.Release()
				if res := out.Meta; res.Width != o.Width {
					errs <- fmt.Errorf("got width %d; want %d", res.Width, o.Width)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
