package vips

import (
	"strings"
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

	// The other encoder settings (IMGPROXY_JPEG_*, _PNG_*, WebP
	// compression and preset, AVIF subsampling) are per-request
	// options.Encoding values whose defaults the parser holds.

	// WebPEffort is IMGPROXY_WEBP_EFFORT, libwebp's effort 1..6 (default 4).
	WebPEffort int
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
	// WatermarksCacheSize is IMGPROXY_WATERMARKS_CACHE_SIZE: how many
	// watermark_url and watermark_text marks stay decoded (default 256;
	// 0 = decode for every request).
	WatermarksCacheSize int
	// WatermarkFont is IMGEDGE_WATERMARK_FONT, the Pango font description
	// of watermark_text (default "sans 16", imgproxy Pro's).
	WatermarkFont string
	// WatermarkFontsDir is IMGEDGE_WATERMARK_FONTS_DIR: font files loaded
	// at start-up for watermark_text; "" = the system's fonts only.
	WatermarkFontsDir string

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

	// ColorProfilesDir is IMGPROXY_COLOR_PROFILES_DIR: the directory whose
	// ICC files color_profile may name (read when first used, confined to
	// the directory). Empty or missing: only srgb and cmyk.
	ColorProfilesDir string
	// StripMetadataDPI is IMGPROXY_STRIP_METADATA_DPI: the density written
	// when metadata is stripped and no dpi option is given (default 72).
	StripMetadataDPI float64

	// EnablePDF is IMGEDGE_ENABLE_PDF: load the first page of PDF sources
	// (default false: a PDF is KindInvalidImage, like OSS imgproxy). The
	// pdfload operation is unblocked by Startup only when the Config given
	// to Startup has it set.
	EnablePDF bool

	// Autoquality holds the IMGPROXY_AUTOQUALITY_* defaults (autoquality.go).
	Autoquality AutoqualityConfig
	// BestFormat holds the IMGPROXY_BEST_FORMAT_* settings (best.go).
	BestFormat BestFormatConfig

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
		Quality:             80,
		WebPEffort:          4,
		AVIFSpeed:           8,
		JXLEffort:           4,
		WatermarkOpacity:    1,
		WatermarksCacheSize: 256,
		WatermarkFont:       "sans 16",
		SanitizeSVG:         true,
		MaxSVGCheckBytes:    32 * 1024,
		StripMetadataDPI:    72,
		ColorProfilesDir:    "/usr/share/color/icc",
		MaxResultPixels:     16384 * 16384,
		Autoquality:         DefaultAutoqualityConfig(),
		BestFormat:          DefaultBestFormatConfig(),
		DecodeCacheSize:     32 << 20,
		DecodeCacheTTL:      2 * time.Second,
	}
	c.FormatQuality[options.FormatWebP] = 79
	c.FormatQuality[options.FormatAVIF] = 63
	c.FormatQuality[options.FormatJXL] = 77
	return c
}

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
	if c.WebPEffort < 0 || c.WebPEffort > 6 {
		return options.ConfigErrorf("IMGPROXY_WEBP_EFFORT", "must be in 0..6; got %d", c.WebPEffort)
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
	if c.WatermarksCacheSize < 0 {
		return options.ConfigErrorf("IMGPROXY_WATERMARKS_CACHE_SIZE", "must be >= 0; got %d", c.WatermarksCacheSize)
	}
	if strings.TrimSpace(c.WatermarkFont) == "" {
		return options.ConfigErrorf("IMGEDGE_WATERMARK_FONT", "must not be empty")
	}
	if !(c.StripMetadataDPI > 0) || c.StripMetadataDPI > options.MaxDPI {
		return options.ConfigErrorf("IMGPROXY_STRIP_METADATA_DPI", "must be in (0, %d]; got %g", options.MaxDPI, c.StripMetadataDPI)
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
	if err := c.Autoquality.Validate(); err != nil {
		return err
	}
	return c.BestFormat.Validate()
}
