// Package imagemeta reads image headers in pure Go: format, dimensions,
// frame count, alpha and EXIF orientation, without decoding pixels.
//
// It is the first line of defence of the vips pipeline (docs/security.md): the
// source limits (IMGPROXY_MAX_SRC_RESOLUTION, IMGPROXY_MAX_ANIMATION_FRAMES,
// IMGPROXY_MAX_ANIMATION_FRAME_RESOLUTION) are checked with CheckLimits on
// what Probe reports, before libvips allocates anything.
//
// Every parser walks its input with bounds checks and caps, so Probe does
// work linear in len(data) at most, never allocates in proportion to
// declared sizes and never panics. Declared dimensions are reported as they
// are (a PNG may declare 100000x100000); refusing them is CheckLimits' job.
//
// The package has no state; all functions are safe for concurrent use and
// never retain data.
package imagemeta

import (
	"math/bits"

	"github.com/imgedge/imgedge/options"
)

// Meta is what Probe learns from an image header.
type Meta struct {
	Format options.Format
	// Width and Height are the canvas size in pixels as declared by the
	// file, before EXIF orientation is applied. For SVG they are the
	// intrinsic size (width/height attributes, else viewBox), 0 if unknown.
	Width, Height int
	// Frames is the number of frames (pages) an animated loader would see;
	// 1 for still images. GIF and WebP frames are counted up to MaxFrames.
	// For APNG it is the acTL frame count (libvips 8.14 loads only the
	// default image of an APNG: the caller may reset it to 1).
	Frames   int
	HasAlpha bool
	// Orientation is the EXIF orientation 1..8 (JPEG APP1, PNG eXIf, WebP
	// EXIF, TIFF IFD0, JXL header); 0 when absent or invalid.
	Orientation int
	// Animated is true for GIF/WebP/APNG with more than one frame and for
	// JXL files whose header declares an animation (their frames are not
	// counted: Frames stays 1).
	Animated bool
	// Channels is the number of samples per pixel the file declares, alpha
	// included: JPEG components, PNG colour type (a palette counts as RGB,
	// tRNS adds alpha), TIFF SamplesPerPixel. 0 = the header does not say.
	Channels int
	// BitDepth is the bits per sample the file declares (JPEG precision,
	// PNG bit depth, TIFF BitsPerSample); 0 = the header does not say.
	BitDepth int
	// Palette is set for a TIFF with a colour map (photometric palette):
	// loaders expand it to RGB.
	Palette bool
	// Progressive is set for a progressive JPEG, whose decoder keeps the
	// DCT coefficients of the whole image in memory (Blocks × 128 bytes)
	// however much it shrinks on load.
	Progressive bool
	// Blocks is the number of 8×8 DCT blocks of all components of a JPEG,
	// as libjpeg allocates them (each component's blocks rounded up to its
	// sampling factors).
	Blocks int64
}

// DefaultMaxSVGCheckBytes is how far into the data Probe looks for the
// <svg> root element: the default of IMGPROXY_MAX_SVG_CHECK_BYTES (32 KiB)
// in imgproxy v3 (the variable is gone in v4, where the whole prologue is
// scanned; 32 KiB still covers any real-world prologue).
const DefaultMaxSVGCheckBytes = 32 << 10

// MaxFrames caps frame counting (GIF image descriptors, WebP ANMF chunks):
// a file with more frames reports MaxFrames. Any limit in use
// (IMGPROXY_MAX_ANIMATION_FRAMES) is far lower.
const MaxFrames = 1 << 16

// Probe identifies data and reads its header. It returns an *options.Error
// with KindInvalidImage when the bytes match no supported format and
// KindBrokenImage when the signature matches but the header is truncated
// or inconsistent. PDF is reported as FormatPDF with Width and Height 0
// (whether to load it is the caller's decision: IMGEDGE_ENABLE_PDF). It reads at most DefaultMaxSVGCheckBytes to detect SVG.
func Probe(data []byte) (Meta, error) {
	return ProbeWith(data, DefaultMaxSVGCheckBytes)
}

// ProbeWith is Probe with the SVG detection window set explicitly
// (IMGPROXY_MAX_SVG_CHECK_BYTES); maxSVGCheckBytes <= 0 means
// DefaultMaxSVGCheckBytes.
func ProbeWith(data []byte, maxSVGCheckBytes int) (Meta, error) {
	switch {
	case hasPrefix(data, "\xff\xd8\xff"):
		return probeJPEG(data)
	case hasPrefix(data, pngSig):
		return probePNG(data)
	case hasPrefix(data, "GIF87a"), hasPrefix(data, "GIF89a"):
		return probeGIF(data)
	case len(data) >= 12 && hasPrefix(data, "RIFF") && string(data[8:12]) == "WEBP":
		return probeWebP(data)
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return probeISOBMFF(data)
	case hasPrefix(data, "II*\x00"), hasPrefix(data, "MM\x00*"), hasPrefix(data, "II+\x00"), hasPrefix(data, "MM\x00+"):
		return probeTIFF(data)
	case hasPrefix(data, "BM"):
		return probeBMP(data)
	case hasPrefix(data, "\x00\x00\x01\x00"):
		return probeICO(data)
	case hasPrefix(data, "\xff\x0a"), hasPrefix(data, jxlContainerSig):
		return probeJXL(data)
	case hasPrefix(data, "%PDF-"):
		// Vector: the page size is only known to the renderer.
		return Meta{Format: options.FormatPDF, Frames: 1}, nil
	}
	if maxSVGCheckBytes <= 0 {
		maxSVGCheckBytes = DefaultMaxSVGCheckBytes
	}
	if root, ok := findSVGRoot(data, maxSVGCheckBytes); ok {
		return probeSVG(root), nil
	}
	return Meta{}, options.Errorf(options.KindInvalidImage, "unknown image format")
}

// CheckLimits applies the source resolution limits of l to m
// (docs/security.md, "3. How much work: limits"): frames are capped at l.MaxAnimationFrames (when
// >= 1); with more than one frame left and l.MaxAnimationFrameResolution >
// 0, one frame's width×height is checked against it, otherwise
// width×height×frames against l.MaxSrcResolution (0 = no limit). SVG and
// PDF are exempt (vector sources are pre-shrunk instead). Over a limit it returns
// an *options.Error with KindSourceTooBig.
func CheckLimits(m Meta, l options.Limits) error {
	if m.Format == options.FormatSVG || m.Format == options.FormatPDF || m.Width <= 0 || m.Height <= 0 {
		return nil
	}
	frames := m.Frames
	if frames < 1 {
		frames = 1
	}
	if l.MaxAnimationFrames >= 1 && frames > l.MaxAnimationFrames {
		frames = l.MaxAnimationFrames
	}
	if frames > 1 && l.MaxAnimationFrameResolution > 0 {
		if over(uint64(m.Width), uint64(m.Height), 1, l.MaxAnimationFrameResolution) {
			return options.Errorf(options.KindSourceTooBig, "source frame resolution %dx%d is over the limit of %d pixels",
				m.Width, m.Height, l.MaxAnimationFrameResolution)
		}
		return nil
	}
	if l.MaxSrcResolution > 0 && over(uint64(m.Width), uint64(m.Height), uint64(frames), l.MaxSrcResolution) {
		return options.Errorf(options.KindSourceTooBig, "source resolution %dx%d×%d frames is over the limit of %d pixels",
			m.Width, m.Height, frames, l.MaxSrcResolution)
	}
	return nil
}

// over reports whether a×b×c > limit without overflowing.
func over(a, b, c uint64, limit int64) bool {
	if limit < 0 {
		return false
	}
	hi, ab := bits.Mul64(a, b)
	if hi != 0 {
		return true
	}
	hi, abc := bits.Mul64(ab, c)
	return hi != 0 || abc > uint64(limit)
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

func broken(f options.Format, format string, args ...any) error {
	return options.Errorf(options.KindBrokenImage, f.String()+": "+format, args...)
}

// clampInt converts a declared dimension to int, saturating (int is 64-bit
// on every platform imgedge targets, but stay correct on 32-bit).
func clampInt(v uint64) int {
	const maxInt = int(^uint(0) >> 1)
	if v > uint64(maxInt) {
		return maxInt
	}
	return int(v)
}

func be16(b []byte) uint32 { return uint32(b[0])<<8 | uint32(b[1]) }
func le16(b []byte) uint32 { return uint32(b[1])<<8 | uint32(b[0]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
func le32(b []byte) uint32 {
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}
func le24(b []byte) uint32 { return uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0]) }
func be64(b []byte) uint64 { return uint64(be32(b))<<32 | uint64(be32(b[4:])) }
