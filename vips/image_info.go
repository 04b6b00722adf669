package vips

/*
#cgo pkg-config: libexif
#include <stdlib.h>
#include "cinfo.h"
#include "cvips.h"
*/
import "C"

import (
	"strings"
	"unsafe"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze"
)

// The image wrapper's part for /info, format best and autoquality: lossless
// encoders, the EXIF reader, enum names and RGBA pixel readout.

// saveLossless encodes im losslessly as f (WebP or JPEG XL); other formats
// are encoded as usual (PNG and GIF have no lossy mode here).
func (p *Processor) saveLossless(im *image, f options.Format, enc *options.Encoding) (options.Output, error) {
	var buf unsafe.Pointer
	var n C.size_t
	var rc C.int
	id := im.watch()
	switch f {
	case options.FormatWebP:
		rc = C.ie_webpsave_lossless(im.p, &buf, &n, C.int(p.cfg.WebPEffort))
	case options.FormatJXL:
		rc = C.ie_jxlsave_lossless(im.p, &buf, &n, C.int(max(3, p.cfg.JXLEffort)))
	default:
		im.unwatch(id)
		return p.save(im, f, p.cfg.Quality, enc)
	}
	im.unwatch(id)
	if rc != 0 {
		return options.Output{}, options.Wrap(options.KindCannotSave, "save lossless "+f.String(), vipsError("save"))
	}
	return cOutput(buf, n), nil
}

// exifText lists the entries of an EXIF blob as libexif formats them:
// name → [title, value]. nil when the blob does not parse.
func exifText(blob []byte) map[string][2]string {
	if len(blob) == 0 {
		return nil
	}
	cs := C.ie_exif_text(unsafe.Pointer(&blob[0]), C.size_t(len(blob)))
	if cs == nil {
		return nil
	}
	defer C.ie_g_free(unsafe.Pointer(cs))
	out := map[string][2]string{}
	for _, line := range strings.Split(C.GoString(cs), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		if _, dup := out[f[0]]; !dup {
			out[f[0]] = [2]string{f[1], strings.TrimSpace(f[2])}
		}
	}
	return out
}

// interpretationName is libvips' name of im's colour space ("srgb", "cmyk", "b-w", ...).
func (im *image) interpretationName() string { return C.GoString(C.ie_interpretation_name(im.p)) }

// bandFormatName is libvips' name of im's sample format ("uchar", "ushort", ...).
func (im *image) bandFormatName() string { return C.GoString(C.ie_band_format_name(im.p)) }

// rgba returns im as 8-bit sRGB with alpha in Go memory (computes it;
// im is unchanged).
func (im *image) rgba() (*analyze.Image, error) {
	c, err := im.clone()
	if err != nil {
		return nil, err
	}
	defer c.close()
	if c.bands() < 3 || c.interp() != interpSRGB || c.bandFormat() != formatUchar {
		if err := c.colourspace(interpSRGB); err != nil {
			return nil, err
		}
		if err := c.cast(formatUchar); err != nil {
			return nil, err
		}
	}
	switch {
	case c.bands() == 3:
		if err := c.addAlpha(); err != nil {
			return nil, err
		}
	case c.bands() > 4:
		if err := c.extractBand(0, 4); err != nil {
			return nil, err
		}
	}
	pix, err := c.pixels()
	if err != nil {
		return nil, err
	}
	return &analyze.Image{W: c.width(), H: c.height(), Pix: pix}, nil
}
