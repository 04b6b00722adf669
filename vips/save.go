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

// cBuffer owns a g_malloc'd encoder buffer (options.Releaser): the output
// is handed out as a Go slice over it without copying (zero-copy output)
// and must not be used after Release. A one-pointer struct sits in an
// interface without an allocation.
type cBuffer struct{ p unsafe.Pointer }

// Release frees the buffer; options.Output calls it once.
func (b cBuffer) Release() { C.ie_g_free(b.p) }

// cOutput wraps an encoder buffer of n bytes as an Output without copying.
func cOutput(buf unsafe.Pointer, n C.size_t) options.Output {
	return options.NewOutput(unsafe.Slice((*byte)(buf), int(n)), cBuffer{buf})
}

// save encodes the finished image: in the smallest candidate for format
// best (best.go), else in the planned format.
func (st *state) save() (options.Output, error) {
	if st.best != nil {
		return st.saveBest()
	}
	return st.saveQuality(st.out)
}

// saveQuality encodes the finished image as f with the quality chain or
// autoquality (autoquality.go), within max_bytes when set (the image is
// computed into memory first so that each attempt only encodes).
func (st *state) saveQuality(f options.Format) (options.Output, error) {
	o := st.o
	if pl, ok := st.p.autoqualityFor(o, f, int64(st.im.width())*int64(st.im.height())); ok {
		return st.saveAutoFitting(f, pl)
	}
	q := st.p.qualityFor(o, f)
	if o.MaxBytes > 0 && hasQuality(f) {
		if err := st.im.copyMemory(); err != nil {
			return options.Output{}, err
		}
	}
	return st.p.saveFitting(st.im, f, q, o.MaxBytes)
}

// save encodes im as f with quality q. The output lives in C memory for the
// libvips encoders, in Go memory for BMP/ICO.
func (p *Processor) save(im *image, f options.Format, q int) (options.Output, error) {
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
			return options.Output{}, options.Wrap(options.KindBrokenImage, "bmp", err)
		}
		data, err := encodeBMP(m)
		if err != nil {
			return options.Output{}, options.Wrap(options.KindCannotSave, "bmp encode", err)
		}
		return options.NewOutput(data, nil), nil
	case options.FormatPDF:
		if rc = C.ie_jpegsave(im.p, &buf, &n, C.int(q), 0); rc != 0 {
			break
		}
		data := wrapPDF(unsafe.Slice((*byte)(buf), int(n)), im.width(), im.height(), im.bands())
		C.ie_g_free(buf)
		return options.NewOutput(data, nil), nil
	case options.FormatICO:
		if rc = p.savePNG(im, &buf, &n); rc != 0 {
			break
		}
		data := wrapICO(unsafe.Slice((*byte)(buf), int(n)), im.width(), im.height())
		C.ie_g_free(buf)
		return options.NewOutput(data, nil), nil
	default:
		return options.Output{}, options.Errorf(options.KindCannotSave, "cannot save %q", f)
	}
	if rc != 0 {
		return options.Output{}, options.Wrap(options.KindCannotSave, "save "+f.String(), vipsError("save"))
	}
	return cOutput(buf, n), nil
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

// saveFitting encodes im, lowering the quality per docs/processing.md (max_bytes) while the
// result is over maxBytes. The last attempt is returned even if too big.
func (p *Processor) saveFitting(im *image, f options.Format, q, maxBytes int) (options.Output, error) {
	for {
		out, err := p.save(im, f, q)
		if err != nil || maxBytes <= 0 || !hasQuality(f) || len(out.Data) <= maxBytes || q <= 10 {
			return out, err
		}
		q = nextQuality(q, len(out.Data), maxBytes)
		out.Release()
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
		out, err := p.save(probe, f, 50)
		if err == nil && len(out.Data) > 0 {
			canSave[f] = true
		}
		out.Release()
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
