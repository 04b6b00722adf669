// Package options holds the parsed, validated processing request: the one
// typed struct that edge/ fills from a URL and vips/ turns into libvips
// operations. It is pure Go (no cgo, no HTTP) so both sides can import it.
//
// Nothing in the processing pipeline ever looks at option strings: every
// value here has already been range-checked by the parser.
package options

import "time"

// Format is an image format known to imgedge. The zero value means
// "not specified" (for output: choose automatically, see ChooseFormat and
// docs/url-format.md "Output format").
type Format uint8

// Formats, in the order of docs/url-format.md.
const (
	FormatUnknown Format = iota
	FormatJPEG
	FormatPNG
	FormatWebP
	FormatAVIF
	FormatGIF
	FormatICO
	FormatSVG
	FormatHEIC
	FormatBMP
	FormatTIFF
	FormatJXL
	// FormatPDF is a source format (first page, IMGEDGE_ENABLE_PDF) and,
	// as in imgproxy Pro, an output format: a one-page PDF holding the
	// result as a JPEG image (vips/pdf.go).
	FormatPDF
	numFormats
)

// NumFormats is the size of arrays indexed by Format.
const NumFormats = int(numFormats)

var formatNames = [...]string{"", "jpeg", "png", "webp", "avif", "gif", "ico", "svg", "heic", "bmp", "tiff", "jxl", "pdf"}
var formatExts = [...]string{"", "jpg", "png", "webp", "avif", "gif", "ico", "svg", "heic", "bmp", "tiff", "jxl", "pdf"}
var formatMIME = [...]string{"application/octet-stream", "image/jpeg", "image/png", "image/webp", "image/avif", "image/gif",
	"image/x-icon", "image/svg+xml", "image/heif", "image/bmp", "image/tiff", "image/jxl", "application/pdf"}

// String returns the canonical format name ("jpeg", "png", ...), "" for FormatUnknown.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return ""
}

// Ext returns the file extension without the dot ("jpg", "png", ...).
func (f Format) Ext() string {
	if int(f) < len(formatExts) {
		return formatExts[f]
	}
	return ""
}

// MIME returns the Content-Type of the format.
func (f Format) MIME() string {
	if int(f) < len(formatMIME) {
		return formatMIME[f]
	}
	return formatMIME[0]
}

// ParseFormat maps a URL format name ("jpg", "jpeg", "png", ..., and
// imgproxy Pro's "pdf") to a Format. ok is false for unknown names; "tif" is
// deliberately not accepted, as in imgproxy (docs/url-format.md lists the
// names).
func ParseFormat(s string) (f Format, ok bool) {
	switch s {
	case "jpg", "jpeg":
		return FormatJPEG, true
	case "png":
		return FormatPNG, true
	case "webp":
		return FormatWebP, true
	case "avif":
		return FormatAVIF, true
	case "gif":
		return FormatGIF, true
	case "ico":
		return FormatICO, true
	case "svg":
		return FormatSVG, true
	case "heic":
		return FormatHEIC, true
	case "bmp":
		return FormatBMP, true
	case "tiff":
		return FormatTIFF, true
	case "jxl":
		return FormatJXL, true
	case "pdf":
		return FormatPDF, true
	}
	return FormatUnknown, false
}

// FormatSet is a set of formats as a bit mask (allocation-free).
type FormatSet uint32

// Has reports whether f is in the set.
func (s FormatSet) Has(f Format) bool { return s&(1<<f) != 0 }

// With returns the set with f added.
func (s FormatSet) With(f Format) FormatSet { return s | 1<<f }

// ResizingType is the resize mode of the resize and resizing_type options
// (docs/options.md).
type ResizingType uint8

// Resizing types. Fit is the default.
const (
	ResizeFit ResizingType = iota
	ResizeFill
	ResizeFillDown
	ResizeForce
	ResizeAuto
)

// GravityType is an anchor for crops, extends and watermarks
// (docs/options.md, gravity).
type GravityType uint8

// Gravity types. GravityCenter is the default.
const (
	GravityCenter GravityType = iota
	GravityNorth
	GravitySouth
	GravityEast
	GravityWest
	GravityNorthEast
	GravityNorthWest
	GravitySouthEast
	GravitySouthWest
	GravitySmart      // "sm": libvips attention smart crop, no offsets
	GravityFocusPoint // "fp:x:y": X and Y are fractions in [0,1]
	GravityReplicate  // "re": watermark only, tile the mark
	// GravityChessboard is imgproxy Pro's "ch" (watermark only): tiles
	// like GravityReplicate on every other cell, in chessboard order.
	GravityChessboard
)

// Gravity is a gravity type with its offsets. For compass types X and Y are
// offsets (|v| >= 1 pixels, |v| < 1 fraction of the outer size); for
// GravityFocusPoint they are the focus point as fractions of the image.
type Gravity struct {
	Type GravityType
	X, Y float64
}

// Color is an 8-bit sRGB colour.
type Color struct{ R, G, B uint8 }

// Extend is the extend / extend_aspect_ratio option.
type Extend struct {
	Enabled bool
	Gravity Gravity
}

// Crop cuts an area of the source before resizing. Width/Height: >= 1 pixels,
// (0,1) fraction of the source dimension, 0 = full dimension.
type Crop struct {
	Width, Height float64
	// Gravity is the crop's own gravity; when HasGravity is false the
	// request's Gravity option is used.
	Gravity    Gravity
	HasGravity bool
}

// Trim removes a uniform border.
type Trim struct {
	Enabled   bool
	Threshold float64
	// Color is the border colour; when HasColor is false the top-left pixel's colour is used.
	Color    Color
	HasColor bool
	EqualHor bool
	EqualVer bool
}

// Padding in CSS order, in pixels before dpr scaling.
type Padding struct {
	Enabled                  bool
	Top, Right, Bottom, Left int
}

// Watermark placement. Opacity 0 means off. The fields after Scale come
// from imgproxy Pro's watermark options (docs/options.md, "Watermarks").
type Watermark struct {
	Opacity  float64
	Position Gravity // compass types, GravityReplicate or GravityChessboard; X/Y are offsets (or spacing when tiling)
	Scale    float64 // 0 = original size

	// URL is watermark_url: the mark is this image (fetched by edge, like
	// a source) instead of IMGPROXY_WATERMARK_*; "" = the configured mark.
	URL string
	// Text is watermark_text: the mark is this Pango markup rendered by
	// libvips; "" = none. Setting URL clears Text and the other way round.
	Text string
	// Width and Height are watermark_size, used when Scale is 0: the mark
	// is fitted into them (0 = follow the other side; both 0 = as is).
	Width, Height int
	// Rotate is watermark_rotate: degrees clockwise, in (-360, 360).
	Rotate float64
	// Shadow is watermark_shadow: the sigma of the blurred shadow drawn
	// under the mark; 0 = none.
	Shadow float64
}

// Enabled reports whether a watermark is requested.
func (w Watermark) Enabled() bool { return w.Opacity > 0 }

// Limits are the per-request security limits (IMGPROXY_MAX_* with the
// security options applied on top). Zero means "no limit" except where noted.
type Limits struct {
	MaxSrcResolution            int64 // pixels (megapixels × 1e6); frames counted for animations
	MaxSrcFileSize              int64 // bytes; 0 = unlimited
	MaxAnimationFrames          int   // >= 1
	MaxAnimationFrameResolution int64 // pixels; 0 = check the summed resolution instead
	MaxResultDimension          int   // pixels; 0 = off
}

// Options is one processing request after parsing. It is a plain value:
// copy it freely; it holds no references to request memory.
type Options struct {
	ResizingType ResizingType
	Width        int
	Height       int
	MinWidth     int
	MinHeight    int
	ZoomX        float64 // > 0, default 1
	ZoomY        float64 // > 0, default 1
	Dpr          float64 // > 0, default 1
	Enlarge      bool

	Extend            Extend
	ExtendAspectRatio Extend
	Gravity           Gravity
	Crop              Crop
	Trim              Trim
	Padding           Padding

	AutoRotate bool
	Rotate     int // normalised to 0, 90, 180 or 270
	FlipH      bool
	FlipV      bool

	Background    Color
	HasBackground bool

	Blur     float64 // sigma; 0 = off
	Sharpen  float64 // sigma; 0 = off
	Pixelate int     // block size; <= 1 = off

	Watermark Watermark

	StripMetadata     bool
	KeepCopyright     bool
	StripColorProfile bool
	PreserveHDR       bool
	EnforceThumbnail  bool

	// Quality is the requested quality (1..100); 0 = take it from
	// FormatQuality, then the server's per-format and global defaults.
	Quality int
	// FormatQuality holds per-request format_quality values; 0 = unset.
	FormatQuality [NumFormats]int
	MaxBytes      int

	// Format is the requested output format (option or extension);
	// FormatUnknown = choose automatically.
	Format Format
	// BestFormat is the format "best" (docs/options.md "Best format"):
	// the result is encoded in each candidate format and the smallest is
	// answered. Format is FormatUnknown when it is set.
	BestFormat bool
	// Autoquality is the autoquality option (options/autoquality.go).
	Autoquality Autoquality
	// SkipProcessing lists source formats returned unprocessed.
	SkipProcessing FormatSet
	Raw            bool

	// The image options from imgproxy Pro (options/image_pro.go,
	// docs/options.md). Zero values are off or unchanged.
	ResizingAlgorithm  ResizingAlgorithm
	CropAspectRatio    CropAspectRatio
	BackgroundAlpha    float64 // 0..1, used when HasBackgroundAlpha (else 1)
	HasBackgroundAlpha bool
	Adjust             Adjust
	Monochrome         Monochrome
	Duotone            Duotone
	Colorize           Colorize
	Gradient           Gradient
	UnsharpMasking     UnsharpMasking
	BlurAreas          BlurAreas
	ProgressiveBlur    ProgressiveBlur
	// ColorProfile is "" (none), "srgb", "cmyk" or a file name in
	// IMGPROXY_COLOR_PROFILES_DIR (ValidColorProfileName).
	ColorProfile     string
	DPI              float64 // 0 = unchanged
	Encoding         Encoding
	Page             int // first page or frame, from 0
	Pages            int // pages stacked vertically; 0 or 1 = one
	DisableAnimation bool

	CacheBuster      string
	Expires          time.Time // zero = no expiry
	Filename         string    // Content-Disposition stem; "" = derive from the source URL
	ReturnAttachment bool

	Limits Limits

	// The source and integrity options of imgproxy Pro (docs/options.md).

	// FallbackImageURL is fallback_image_url: an image served instead of
	// the source when fetching the source fails; "" = the configured
	// IMGPROXY_FALLBACK_IMAGE_* (if any).
	FallbackImageURL string
	// Hashsum is the hashsum option: the expected digest of the source.
	Hashsum Hashsum
	// Style is the style option: CSS added to an SVG source; "" = none.
	Style string
	// BypassCache is bypass_cache: skip the source cache and request
	// coalescing.
	BypassCache bool
	// CacheTags is cache_tags: the tags joined with ","; "" = none.
	CacheTags string
	// Previous is the pipeline run before this one in a chained request
	// ("/-/", options/chain.go); nil for the first or only pipeline. The
	// pipelines a parse produces are immutable and shared by copies.
	Previous *Options
}

// Request is a fully parsed processing URL.
type Request struct {
	// SourceURL is the final source URL (decoded, replacements and base URL applied).
	SourceURL string
	// Options are the processing options with defaults, presets and URL options applied.
	Options Options
}
