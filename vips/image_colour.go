package vips

/*
#include "cvips.h"
*/
import "C"

// interpretation is libvips' VipsInterpretation: how to read the bands.
type interpretation int

const (
	interpSRGB   interpretation = C.VIPS_INTERPRETATION_sRGB
	interpRGB16  interpretation = C.VIPS_INTERPRETATION_RGB16
	interpScRGB  interpretation = C.VIPS_INTERPRETATION_scRGB
	interpBW     interpretation = C.VIPS_INTERPRETATION_B_W
	interpGrey16 interpretation = C.VIPS_INTERPRETATION_GREY16
	interpCMYK   interpretation = C.VIPS_INTERPRETATION_CMYK
	interpLab    interpretation = C.VIPS_INTERPRETATION_LAB
	interpLCh    interpretation = C.VIPS_INTERPRETATION_LCH
)

// bandFormat is libvips' VipsBandFormat: the numeric type of a band.
type bandFormat int

const (
	formatUchar  bandFormat = C.VIPS_FORMAT_UCHAR
	formatUshort bandFormat = C.VIPS_FORMAT_USHORT
	formatFloat  bandFormat = C.VIPS_FORMAT_FLOAT
)

func (im *image) interp() interpretation {
	return interpretation(C.vips_image_get_interpretation(im.p))
}

func (im *image) bandFormat() bandFormat { return bandFormat(im.p.BandFmt) }

// bandBytes is the size of one band value in bytes.
func (im *image) bandBytes() int { return int(C.vips_format_sizeof(im.p.BandFmt)) }

func (im *image) cast(f bandFormat) error {
	if im.bandFormat() == f {
		return nil
	}
	var out *C.VipsImage
	return im.result(C.ie_cast(im.p, &out, C.int(f)), out, "cast")
}

func (im *image) colourspace(interp interpretation) error {
	var out *C.VipsImage
	return im.result(C.ie_colourspace(im.p, &out, C.int(interp)), out, "colourspace")
}

// iccToSRGB converts with the embedded profile to sRGB (perceptual
// intent, or relative colorimetric when relative is set).
func (im *image) iccToSRGB(depth int, relative bool) error {
	intent := C.VIPS_INTENT_PERCEPTUAL
	if relative {
		intent = C.VIPS_INTENT_RELATIVE
	}
	var out *C.VipsImage
	return im.result(C.ie_icc_to_srgb(im.p, &out, C.int(depth), C.int(intent)), out, "icc_transform")
}

// iccExportTo converts im (any colourspace libvips can bring to Lab) to
// the device space of profile, which is attached to the result.
func (im *image) iccExportTo(profile []byte) error {
	if err := im.colourspace(interpLab); err != nil {
		return err
	}
	if err := im.copy(); err != nil {
		return err
	}
	im.setBlob("icc-profile-data", profile)
	var out *C.VipsImage
	return im.result(C.ie_icc_export_embedded(im.p, &out, C.VIPS_INTENT_RELATIVE), out, "icc_export")
}
