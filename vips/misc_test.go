package vips

import (
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
		func(c *Config) { c.PNGQuantizationColors = 1 },
		func(c *Config) { c.WebPEffort = 7 },
		func(c *Config) { c.WebPPreset = "photos" },
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
