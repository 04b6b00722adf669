package vips

import (
	"time"

	"github.com/imgedge/imgedge/options"
)

// Config holds the server-wide processing settings (IMGPROXY_QUALITY,
// IMGPROXY_FORMAT_QUALITY, encoder knobs, watermark, SVG switches). main.go
// fills it from the environment; the zero value is not valid, start from
// DefaultConfig. A Config is read-only once passed to NewProcessor.
type Config struct {
	// Quality is IMGPROXY_QUALITY (1..100, default 80).
	Quality int
	// FormatQuality is IMGPROXY_FORMAT_QUALITY indexed by options.Format;
	// 0 = fall back to Quality. Defaults: webp 79, avif 63, jxl 77.
	FormatQuality [options.NumFormats]int

	JPEGProgressive bool // IMGPROXY_JPEG_PROGRESSIVE
	PNGInterlaced   bool // IMGPROXY_PNG_INTERLACED
	PNGQuantize     bool // IMGPROXY_PNG_QUANTIZE
	// PNGQuantizationColors is IMGPROXY_PNG_QUANTIZATION_COLORS (2..256, default 256).
	PNGQuantizationColors int
	// WebPEffort is IMGPROXY_WEBP_EFFORT, libwebp's effort 1..6 (default 4).
	WebPEffort int
	// WebPPreset is IMGPROXY_WEBP_PRESET: default, photo, picture, drawing, icon, text.
	WebPPreset string
	// AVIFSpeed is IMGPROXY_AVIF_SPEED 0..9 (default 8; libvips effort = 9 - speed).
	AVIFSpeed int
	// JXLEffort is IMGPROXY_JXL_EFFORT 1..9 (default 4).
	JXLEffort int

	// WatermarkData is the decoded watermark image (IMGPROXY_WATERMARK_DATA
	// or the bytes of IMGPROXY_WATERMARK_PATH); empty = no watermark. It is
	// decoded once by NewProcessor and may be released by the caller afterwards.
	WatermarkData []byte
	// WatermarkOpacity is IMGPROXY_WATERMARK_OPACITY (0..1, default 1).
	WatermarkOpacity float64

	// UseLinearColorspace resizes in linear light (IMGPROXY_USE_LINEAR_COLORSPACE).
	UseLinearColorspace bool
	// DisableShrinkOnLoad turns off JPEG/WebP/HEIF/SVG shrink-on-load
	// (IMGPROXY_DISABLE_SHRINK_ON_LOAD).
	DisableShrinkOnLoad bool

	SanitizeSVG        bool // IMGPROXY_SANITIZE_SVG (default true)
	AlwaysRasterizeSVG bool // IMGPROXY_ALWAYS_RASTERIZE_SVG
	SVGUnlimited       bool // IMGPROXY_SVG_UNLIMITED: lift librsvg's 10 MB / nesting limits
	PNGUnlimited       bool // IMGPROXY_PNG_UNLIMITED: lift libpng's chunk size limits
	// MaxSVGCheckBytes is how much of the source is searched for "<svg" when
	// sniffing (IMGPROXY_MAX_SVG_CHECK_BYTES, default 32 KiB).
	MaxSVGCheckBytes int

	// EnablePDF is IMGEDGE_ENABLE_PDF: load the first page of PDF sources
	// (default false: a PDF is KindInvalidImage, like OSS imgproxy). The
	// pdfload operation is unblocked by Startup only when the Config given
	// to Startup has it set.
	EnablePDF bool

	// MaxResultPixels refuses results larger than this many pixels with
	// KindResultTooBig (protects against enlarge+dpr explosions; default
	// 16384×16384). It is not an imgproxy setting.
	MaxResultPixels int64

	// DecodeCacheSize is IMGEDGE_DECODE_CACHE_SIZE: bytes of decoded
	// sources kept so that renditions of one source requested close
	// together share a decode (decodecache.go); 0 = off.
	DecodeCacheSize int64
	// DecodeCacheTTL is IMGEDGE_DECODE_CACHE_TTL: how long a decode is kept.
	DecodeCacheTTL time.Duration
	// DecodeCacheEvent, when set, is called for every lookup of the
	// decoded-source cache (hit: the decode was shared); main counts them
	// as metrics. It must be safe for concurrent use.
	DecodeCacheEvent func(hit bool)
}

// DefaultConfig returns the defaults of docs/config.md (imgproxy's). The
// configuration table in package main is their source;
// TestConfigDefaultsMatchPackages keeps this function equal to it, so the
// package's tests run with the settings production uses.
func DefaultConfig() Config {
	c := Config{
		Quality:               80,
		PNGQuantizationColors: 256,
		WebPEffort:            4,
		WebPPreset:            "default",
		AVIFSpeed:             8,
		JXLEffort:             4,
		WatermarkOpacity:      1,
		SanitizeSVG:           true,
		MaxSVGCheckBytes:      32 * 1024,
		MaxResultPixels:       16384 * 16384,
		DecodeCacheSize:       32 << 20,
		DecodeCacheTTL:        2 * time.Second,
	}
	c.FormatQuality[options.FormatWebP] = 79
	c.FormatQuality[options.FormatAVIF] = 63
	c.FormatQuality[options.FormatJXL] = 77
	return c
}

var webpPresets = map[string]int{"default": 0, "picture": 1, "photo": 2, "drawing": 3, "icon": 4, "text": 5}

// Validate checks ranges; errors are *options.ConfigError naming the
// variable.
func (c *Config) Validate() error {
	if c.Quality < 1 || c.Quality > 100 {
		return options.ConfigErrorf("IMGPROXY_QUALITY", "must be in 1..100; got %d", c.Quality)
	}
	for f, q := range c.FormatQuality {
		if q < 0 || q > 100 {
			return options.ConfigErrorf("IMGPROXY_FORMAT_QUALITY", "quality of %s must be in 0..100; got %d", options.Format(f), q)
		}
	}
	if c.PNGQuantizationColors < 2 || c.PNGQuantizationColors > 256 {
		return options.ConfigErrorf("IMGPROXY_PNG_QUANTIZATION_COLORS", "must be in 2..256; got %d", c.PNGQuantizationColors)
	}
	if c.WebPEffort < 0 || c.WebPEffort > 6 {
		return options.ConfigErrorf("IMGPROXY_WEBP_EFFORT", "must be in 0..6; got %d", c.WebPEffort)
	}
	if _, ok := webpPresets[c.WebPPreset]; !ok {
		return options.ConfigErrorf("IMGPROXY_WEBP_PRESET", "unknown preset %q", c.WebPPreset)
	}
	if c.AVIFSpeed < 0 || c.AVIFSpeed > 9 {
		return options.ConfigErrorf("IMGPROXY_AVIF_SPEED", "must be in 0..9; got %d", c.AVIFSpeed)
	}
	if c.JXLEffort < 1 || c.JXLEffort > 9 {
		return options.ConfigErrorf("IMGPROXY_JXL_EFFORT", "must be in 1..9; got %d", c.JXLEffort)
	}
	if c.WatermarkOpacity < 0 || c.WatermarkOpacity > 1 {
		return options.ConfigErrorf("IMGPROXY_WATERMARK_OPACITY", "must be in 0..1; got %g", c.WatermarkOpacity)
	}
	if c.MaxSVGCheckBytes < 0 {
		return options.ConfigErrorf("IMGPROXY_MAX_SVG_CHECK_BYTES", "must be >= 0; got %d", c.MaxSVGCheckBytes)
	}
	if c.DecodeCacheSize < 0 {
		return options.ConfigErrorf("IMGEDGE_DECODE_CACHE_SIZE", "must be >= 0; got %d", c.DecodeCacheSize)
	}
	if c.DecodeCacheSize > 0 && c.DecodeCacheTTL <= 0 {
		return options.ConfigErrorf("IMGEDGE_DECODE_CACHE_TTL", "must be > 0; got %v", c.DecodeCacheTTL)
	}
	if c.MaxResultPixels <= 0 {
		return options.ConfigErrorf("vips.Config.MaxResultPixels", "must be > 0; got %d", c.MaxResultPixels)
	}
	return nil
}
