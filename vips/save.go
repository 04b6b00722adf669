package vips

/*
#include "cvips.h"
*/
import "C"

import (
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
	meter := aqMeter{im: st.im}
	defer meter.release()
	return st.saveQualityWith(f, &meter, aqMaxEncodes)
}

// saveQualityWith is saveQuality with the DSSIM meter and the encode
// budget of an autoquality search given (format best shares them out).
func (st *state) saveQualityWith(f options.Format, meter *aqMeter, budget int) (options.Output, error) {
	o := st.o
	if pl, ok := st.p.autoqualityFor(o, f, int64(st.im.width())*int64(st.im.height())); ok {
		return st.saveAutoFitting(f, pl, meter, budget)
	}
	q := st.p.qualityFor(o, f)
	if o.MaxBytes > 0 && hasQuality(f) {
		if err := st.im.copyMemory(); err != nil {
			return options.Output{}, err
		}
	}
	return st.p.saveFitting(st.im, f, q, o.MaxBytes, &o.Encoding)
}

// save encodes im as f with quality q and the request's encoder settings
// (image_encode.go). The output lives in C memory for the libvips
// encoders, in Go memory for BMP/ICO.
func (p *Processor) save(im *image, f options.Format, q int, enc *options.Encoding) (options.Output, error) {
	id := im.watch() // computing im may be cancelled (cancel.go)
	defer im.unwatch(id)
	var buf unsafe.Pointer
	var n C.size_t
	var rc C.int
	switch f {
	case options.FormatJPEG:
		rc = saveJPEG(im, &buf, &n, q, &enc.JPEG)
	case options.FormatPNG:
		rc = savePNG(im, &buf, &n, &enc.PNG)
	case options.FormatWebP:
		rc = saveWebP(im, &buf, &n, q, p.cfg.WebPEffort, &enc.WebP)
	case options.FormatAVIF:
		rc = saveAVIF(im, &buf, &n, q, 9-p.cfg.AVIFSpeed, &enc.AVIF)
	case options.FormatHEIC:
		rc = C.ie_heifsave(im.p, &buf, &n, C.int(q), C.VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, 4, C.VIPS_FOREIGN_SUBSAMPLE_AUTO)
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
		if rc = saveJPEG(im, &buf, &n, q, &options.JPEGOptions{}); rc != 0 { // baseline inside the PDF
			break
		}
		data := wrapPDF(unsafe.Slice((*byte)(buf), int(n)), im.width(), im.height(), im.bands())
		C.ie_g_free(buf)
		return options.NewOutput(data, nil), nil
	case options.FormatICO:
		if rc = savePNG(im, &buf, &n, &enc.PNG); rc != 0 {
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

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// saveFitting encodes im, lowering the quality per docs/processing.md (max_bytes) while the
// result is over maxBytes. The last attempt is returned even if too big.
func (p *Processor) saveFitting(im *image, f options.Format, q, maxBytes int, enc *options.Encoding) (options.Output, error) {
	for {
		out, err := p.save(im, f, q, enc)
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
	enc := options.DefaultOptions().Encoding
	for f := options.FormatJPEG; int(f) < options.NumFormats; f++ {
		if f == options.FormatSVG {
			continue
		}
		out, err := p.save(probe, f, 50, &enc)
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
