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

// cBytes exposes a g_malloc'd encoder buffer as a Go slice without copying
// (zero-copy output); the returned release frees it. The slice must not be
// used after release.
func cBytes(buf unsafe.Pointer, n C.size_t) ([]byte, func()) {
	data := unsafe.Slice((*byte)(buf), int(n))
	return data, func() { C.ie_g_free(buf) }
}

func noRelease() {}

// save encodes the finished image with the planned format and quality,
// within max_bytes when set (the image is computed into memory first so
// that each attempt only encodes).
func (st *state) save() ([]byte, func(), error) {
	o := st.o
	q := st.p.qualityFor(o, st.out)
	if o.MaxBytes > 0 && hasQuality(st.out) {
		if err := st.im.copyMemory(); err != nil {
			return nil, nil, err
		}
	}
	return st.p.saveFitting(st.im, st.out, q, o.MaxBytes)
}

// save encodes im as f with quality q. data lives in C memory until
// release() for the libvips encoders, in Go memory for BMP/ICO.
func (p *Processor) save(im *image, f options.Format, q int) (data []byte, release func(), err error) {
	id := im.watch() // computing im may be cancelled (cancel.go)
	defer im.unwatch(id)
	var buf unsafe.Pointer
	var n C.size_t
	var rc C.int
	switch f {
	case options.FormatJPEG:
		rc = C.ie_jpegsave(im.p, &buf, &n, C.int(q), cbool(p.cfg.JPEGProgressive))
	case options.FormatPNG:
		rc = p.savePNG(im, &buf, &n)
	case options.FormatWebP:
		rc = C.ie_webpsave(im.p, &buf, &n, C.int(q), C.int(p.cfg.WebPEffort), C.int(webpPresets[p.cfg.WebPPreset]))
	case options.FormatAVIF:
		rc = C.ie_heifsave(im.p, &buf, &n, C.int(q), C.VIPS_FOREIGN_HEIF_COMPRESSION_AV1, C.int(9-p.cfg.AVIFSpeed))
	case options.FormatHEIC:
		rc = C.ie_heifsave(im.p, &buf, &n, C.int(q), C.VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, 4)
	case options.FormatGIF:
		rc = C.ie_gifsave(im.p, &buf, &n)
	case options.FormatTIFF:
		rc = C.ie_tiffsave(im.p, &buf, &n, C.int(q))
	case options.FormatJXL:
		// libvips 8.14 accepts effort 3..9 (imgproxy allows 1..9).
		rc = C.ie_jxlsave(im.p, &buf, &n, C.int(q), C.int(max(3, p.cfg.JXLEffort)))
	case options.FormatBMP:
		m, err := im.goImage()
		if err != nil {
			return nil, nil, options.Wrap(options.KindBrokenImage, "bmp", err)
		}
		data, err := encodeBMP(m)
		if err != nil {
			return nil, nil, options.Wrap(options.KindCannotSave, "bmp encode", err)
		}
		return data, noRelease, nil
	case options.FormatICO:
		if rc = p.savePNG(im, &buf, &n); rc != 0 {
			break
		}
		data := wrapICO(unsafe.Slice((*byte)(buf), int(n)), im.width(), im.height())
		C.ie_g_free(buf)
		return data, noRelease, nil
	default:
		return nil, nil, options.Errorf(options.KindCannotSave, "cannot save %q", f)
	}
	if rc != 0 {
		return nil, nil, options.Wrap(options.KindCannotSave, "save "+f.String(), vipsError("save"))
	}
	data, release = cBytes(buf, n)
	return data, release, nil
}

func (p *Processor) savePNG(im *image, buf *unsafe.Pointer, n *C.size_t) C.int {
	depth := bits.Len(uint(p.cfg.PNGQuantizationColors - 1))
	return C.ie_pngsave(im.p, buf, n, cbool(p.cfg.PNGInterlaced), cbool(p.cfg.PNGQuantize), C.int(max(1, depth)), 6)
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// saveFitting encodes im, lowering the quality per docs/options.md (max_bytes) while the
// result is over maxBytes. The last attempt is returned even if too big.
func (p *Processor) saveFitting(im *image, f options.Format, q, maxBytes int) ([]byte, func(), error) {
	for {
		data, release, err := p.save(im, f, q)
		if err != nil || maxBytes <= 0 || !hasQuality(f) || len(data) <= maxBytes || q <= 10 {
			return data, release, err
		}
		q = nextQuality(q, len(data), maxBytes)
		release()
	}
}

// detectSavers probes every encoder once with a tiny image: a saver may be
// compiled in while its codec is missing (e.g. heifsave without x265).
func detectSavers() {
	probe, err := newBlack(16, 16, 3)
	if err != nil {
		return
	}
	defer probe.close()
	if err := probe.colourspace(interpSRGB); err != nil {
		C.vips_error_clear()
		return
	}
	p := &Processor{cfg: DefaultConfig()}
	for f := options.FormatJPEG; int(f) < options.NumFormats; f++ {
		if f == options.FormatSVG {
			continue
		}
		data, release, err := p.save(probe, f, 50)
		if err == nil && len(data) > 0 {
			canSave[f] = true
			release()
		}
		C.vips_error_clear()
	}
	for f := options.FormatJPEG; int(f) < options.NumFormats; f++ {
		switch f {
		case options.FormatBMP, options.FormatICO:
			canLoad[f] = true
		default:
			canLoad[f] = C.ie_has_loader(C.int(f)) != 0
		}
	}
}

// CanSave reports whether this libvips build can encode f (valid after Startup).
func CanSave(f options.Format) bool { return int(f) < len(canSave) && canSave[f] }

// CanLoad reports whether this build can decode f (valid after Startup).
func CanLoad(f options.Format) bool { return int(f) < len(canLoad) && canLoad[f] }
