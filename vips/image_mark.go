package vips

/*
#include <stdlib.h>
#include "cvips_mark.h"
*/
import "C"

import "unsafe"

// Image wrappers for the watermark options of imgproxy Pro (marks.go,
// watermark.go): rendering text, rotating and shadowing a mark.

// newText renders Pango markup with font (a Pango font description) at
// dpi as sRGB with alpha. fontfile, when not empty, is a font file loaded
// into fontconfig first (libvips remembers it: later calls find the font
// by its family name).
func newText(text, font string, dpi int, fontfile string) (*image, error) {
	ct, cf := C.CString(text), C.CString(font)
	defer C.free(unsafe.Pointer(ct))
	defer C.free(unsafe.Pointer(cf))
	var cff *C.char
	if fontfile != "" {
		cff = C.CString(fontfile)
		defer C.free(unsafe.Pointer(cff))
	}
	var out *C.VipsImage
	if C.ie_text(&out, ct, cf, C.int(dpi), cff) != 0 {
		return nil, vipsError("text")
	}
	return &image{p: out}, nil
}

// rotateMark turns a mark (8-bit sRGB with alpha) by angle degrees
// clockwise; the corners it uncovers are transparent.
func (im *image) rotateMark(angle float64) error {
	var out *C.VipsImage
	return im.result(C.ie_mark_rotate(im.p, &out, C.double(angle)), out, "rotate")
}

// shadowMark puts a mark (8-bit sRGB with alpha) in a transparent margin
// and draws it over its blurred silhouette in black.
func (im *image) shadowMark(sigma float64, margin int) error {
	var out *C.VipsImage
	return im.result(C.ie_mark_shadow(im.p, &out, C.double(sigma), C.int(margin)), out, "shadow")
}
