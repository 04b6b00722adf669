package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"math/bits"
	"unsafe"

	"github.com/imgedge/imgedge/options"
)

// The encoders' per-request settings (jpeg_options, png_options,
// webp_options, avif_options; server defaults IMGPROXY_JPEG_*, _PNG_*,
// _WEBP_*, _AVIF_*), called by save in save.go. Each returns libvips'
// status; on success *buf holds a g_malloc'd result of *n bytes.

// saveJPEG passes the mozjpeg-only settings (trellis quantisation,
// overshoot deringing, scan optimisation, quantisation tables) to the
// encoder only when the process has mozjpeg (cvips.c decides once).
func saveJPEG(im *image, buf *unsafe.Pointer, n *C.size_t, q int, o *options.JPEGOptions) C.int {
	return C.ie_jpegsave(im.p, buf, n, C.int(q), cbool(o.Progressive), cbool(o.NoSubsample),
		cbool(o.TrellisQuant), cbool(o.OvershootDeringing), cbool(o.OptimizeScans), C.int(o.QuantTable))
}

// savePNG writes a PNG; with Quantize a palette PNG of at most
// QuantizationColors colours. libvips' palette writer takes a bit depth
// (2, 4, 16 or 256 colours), so another count is first reduced to that
// many colours with libimagequant, and the palette writer then keeps them.
func savePNG(im *image, buf *unsafe.Pointer, n *C.size_t, o *options.PNGOptions) C.int {
	if !o.Quantize {
		return C.ie_pngsave(im.p, buf, n, cbool(o.Interlaced), 0, 8, 6)
	}
	colors := o.QuantizationColors
	if colors <= 0 || colors > 256 {
		colors = 256
	}
	depth := pngDepth(colors)
	if colors == 1<<depth {
		return C.ie_pngsave(im.p, buf, n, cbool(o.Interlaced), 1, C.int(depth), 6)
	}
	q, err := im.clone()
	if err != nil {
		return -1
	}
	defer q.close()
	if err := toSRGB8(q); err != nil {
		return -1
	}
	if !q.hasAlpha() {
		if err := q.addAlpha(); err != nil {
			return -1
		}
	}
	if err := q.quantise(colors); err != nil {
		return -1
	}
	return C.ie_pngsave(q.p, buf, n, cbool(o.Interlaced), 1, C.int(depth), 6)
}

// pngDepth is the smallest PNG palette bit depth (1, 2, 4 or 8) holding
// colors entries.
func pngDepth(colors int) int {
	switch d := bits.Len(uint(colors - 1)); {
	case d <= 1:
		return 1
	case d <= 2:
		return 2
	case d <= 4:
		return 4
	}
	return 8
}

func saveWebP(im *image, buf *unsafe.Pointer, n *C.size_t, q, effort int, o *options.WebPOptions) C.int {
	return C.ie_webpsave(im.p, buf, n, C.int(q), C.int(effort), C.int(o.Preset),
		cbool(o.Compression == options.WebPLossless), cbool(o.Compression == options.WebPNearLossless), cbool(o.SmartSubsample))
}

// avifSubsample maps options.AVIFSubsample to libvips' VipsForeignSubsample
// (whose auto also subsamples below quality 90).
var avifSubsample = [...]C.int{C.VIPS_FOREIGN_SUBSAMPLE_AUTO, C.VIPS_FOREIGN_SUBSAMPLE_ON, C.VIPS_FOREIGN_SUBSAMPLE_OFF}

func saveAVIF(im *image, buf *unsafe.Pointer, n *C.size_t, q, effort int, o *options.AVIFOptions) C.int {
	return C.ie_heifsave(im.p, buf, n, C.int(q), C.VIPS_FOREIGN_HEIF_COMPRESSION_AV1, C.int(effort), avifSubsample[o.Subsample])
}
