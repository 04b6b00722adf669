package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"unsafe"
)

// image owns one reference to a VipsImage. Every operation method replaces
// the held image with the operation's output and drops the old reference
// (the swap pattern), so a single deferred close releases whatever the
// pipeline ends with, on every path.
type image struct {
	p *C.VipsImage
}

// close drops the reference; safe to call twice.
func (im *image) close() {
	if im.p != nil {
		C.ie_unref(im.p)
		im.p = nil
	}
}

// swap takes ownership of out and releases the previous image.
func (im *image) swap(out *C.VipsImage) {
	C.ie_unref(im.p)
	im.p = out
}

func (im *image) width() int  { return int(im.p.Xsize) }
func (im *image) height() int { return int(im.p.Ysize) }
func (im *image) bands() int  { return int(im.p.Bands) }
func (im *image) hasAlpha() bool {
	return C.ie_has_alpha(im.p) != 0
}
func (im *image) interp() C.VipsInterpretation { return C.vips_image_get_interpretation(im.p) }
func (im *image) bandFormat() C.VipsBandFormat { return im.p.BandFmt }

func (im *image) getInt(name string, def int) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return int(C.ie_get_int(im.p, cs, C.int(def)))
}

func (im *image) hasField(name string) bool {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.ie_has_field(im.p, cs) != 0
}

func (im *image) setInt(name string, v int) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	C.ie_set_int(im.p, cs, C.int(v))
}

func (im *image) remove(name string) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	C.ie_remove(im.p, cs)
}

func (im *image) getIntArray(name string) []int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var arr *C.int
	var n C.int
	if C.ie_get_int_array(im.p, cs, &arr, &n) != 0 || n <= 0 {
		return nil
	}
	src := unsafe.Slice(arr, int(n))
	out := make([]int, n)
	for i, v := range src {
		out[i] = int(v)
	}
	return out
}

func (im *image) setIntArray(name string, v []int) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	arr := make([]C.int, len(v))
	for i, x := range v {
		arr[i] = C.int(x)
	}
	var p *C.int
	if len(arr) > 0 {
		p = &arr[0]
	}
	C.ie_set_int_array(im.p, cs, p, C.int(len(arr)))
}

// getBlob returns a copy of a blob field (nil when absent).
func (im *image) getBlob(name string) []byte {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var data unsafe.Pointer
	var n C.size_t
	if C.ie_get_blob(im.p, cs, &data, &n) != 0 || n == 0 {
		return nil
	}
	return C.GoBytes(data, C.int(n))
}

func (im *image) setBlob(name string, b []byte) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	C.ie_set_blob_copy(im.p, cs, unsafe.Pointer(&b[0]), C.size_t(len(b)))
}

func (im *image) getString(name string) (string, bool) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var s *C.char
	if C.ie_get_string(im.p, cs, &s) != 0 {
		return "", false
	}
	return C.GoString(s), true
}

// fields lists the metadata field names.
func (im *image) fields() []string {
	f := C.ie_fields(im.p)
	if f == nil {
		return nil
	}
	defer C.ie_strfreev(f)
	var out []string
	for p := f; *p != nil; p = (**C.gchar)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
		out = append(out, C.GoString((*C.char)(*p)))
	}
	return out
}

// result applies the outcome of a wrapper call: on success the output
// replaces the held image; on failure the libvips error is returned.
func (im *image) result(rc C.int, out *C.VipsImage, op string) error {
	if rc != 0 {
		return vipsError(op)
	}
	im.swap(out)
	return nil
}

func (im *image) copyMemory() error {
	id := C.ie_watch(im.p)
	var out *C.VipsImage
	rc := C.ie_copy_memory(im.p, &out)
	C.ie_unwatch(im.p, id)
	return im.result(rc, out, "copy_memory")
}

// copy makes a private copy of the header so metadata can be changed
// without touching an image shared with others.
func (im *image) copy() error {
	var out *C.VipsImage
	return im.result(C.ie_copy(im.p, &out), out, "copy")
}

func (im *image) extractArea(l, t, w, h int) error {
	if l == 0 && t == 0 && w == im.width() && h == im.height() {
		return nil
	}
	var out *C.VipsImage
	return im.result(C.ie_extract_area(im.p, &out, C.int(l), C.int(t), C.int(w), C.int(h)), out, "extract_area")
}

func (im *image) extractBand(band, n int) error {
	var out *C.VipsImage
	return im.result(C.ie_extract_band(im.p, &out, C.int(band), C.int(n)), out, "extract_band")
}

func (im *image) resize(h, v float64) error {
	var out *C.VipsImage
	return im.result(C.ie_resize(im.p, &out, C.double(h), C.double(v)), out, "resize")
}

func (im *image) rot(angle int) error {
	if angle == 0 {
		return nil
	}
	var out *C.VipsImage
	return im.result(C.ie_rot(im.p, &out, C.int(angle)), out, "rot")
}

func (im *image) flip(vertical bool) error {
	var out *C.VipsImage
	v := 0
	if vertical {
		v = 1
	}
	return im.result(C.ie_flip(im.p, &out, C.int(v)), out, "flip")
}

// embed places the image at x,y on a w×h canvas filled with bg (one value
// per band) or, when bg is nil, with copies of the edge pixels.
func (im *image) embed(x, y, w, h int, bg []float64) error {
	var out *C.VipsImage
	cbg := make([]C.double, len(bg)+1)
	for i, v := range bg {
		cbg[i] = C.double(v)
	}
	copyEdge := 0
	if bg == nil {
		copyEdge = 1
	}
	return im.result(C.ie_embed(im.p, &out, C.int(x), C.int(y), C.int(w), C.int(h), &cbg[0], C.int(len(bg)), C.int(copyEdge)), out, "embed")
}

func (im *image) smartcrop(w, h int) error {
	var out *C.VipsImage
	return im.result(C.ie_smartcrop(im.p, &out, C.int(w), C.int(h)), out, "smartcrop")
}

func (im *image) flatten(bg []float64) error {
	var out *C.VipsImage
	cbg := make([]C.double, len(bg))
	for i, v := range bg {
		cbg[i] = C.double(v)
	}
	return im.result(C.ie_flatten(im.p, &out, &cbg[0], C.int(len(bg))), out, "flatten")
}

func (im *image) gaussblur(sigma float64) error {
	var out *C.VipsImage
	return im.result(C.ie_gaussblur(im.p, &out, C.double(sigma)), out, "gaussblur")
}

func (im *image) sharpen(sigma float64) error {
	var out *C.VipsImage
	return im.result(C.ie_sharpen(im.p, &out, C.double(sigma)), out, "sharpen")
}

func (im *image) shrink(h, v float64) error {
	var out *C.VipsImage
	return im.result(C.ie_shrink(im.p, &out, C.double(h), C.double(v)), out, "shrink")
}

func (im *image) zoom(h, v int) error {
	var out *C.VipsImage
	return im.result(C.ie_zoom(im.p, &out, C.int(h), C.int(v)), out, "zoom")
}

func (im *image) premultiply() error {
	var out *C.VipsImage
	return im.result(C.ie_premultiply(im.p, &out), out, "premultiply")
}

func (im *image) unpremultiply() error {
	var out *C.VipsImage
	return im.result(C.ie_unpremultiply(im.p, &out), out, "unpremultiply")
}

func (im *image) cast(f C.VipsBandFormat) error {
	if im.bandFormat() == f {
		return nil
	}
	var out *C.VipsImage
	return im.result(C.ie_cast(im.p, &out, C.int(f)), out, "cast")
}

func (im *image) colourspace(interp C.VipsInterpretation) error {
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
	if err := im.colourspace(C.VIPS_INTERPRETATION_LAB); err != nil {
		return err
	}
	if err := im.copy(); err != nil {
		return err
	}
	im.setBlob("icc-profile-data", profile)
	var out *C.VipsImage
	return im.result(C.ie_icc_export_embedded(im.p, &out, C.VIPS_INTENT_RELATIVE), out, "icc_export")
}

func (im *image) compositeOver(overlay *image, x, y int) error {
	var out *C.VipsImage
	return im.result(C.ie_composite_over(im.p, overlay.p, &out, C.int(x), C.int(y)), out, "composite")
}

func (im *image) multiplyAlpha(opacity float64) error {
	var out *C.VipsImage
	return im.result(C.ie_linear_alpha(im.p, &out, C.double(opacity)), out, "linear")
}

func (im *image) addAlpha() error {
	max := 255.0
	if im.bandFormat() == C.VIPS_FORMAT_USHORT {
		max = 65535
	}
	var out *C.VipsImage
	return im.result(C.ie_bandjoin_const1(im.p, &out, C.double(max)), out, "bandjoin_const")
}

func (im *image) replicate(across, down int) error {
	var out *C.VipsImage
	return im.result(C.ie_replicate(im.p, &out, C.int(across), C.int(down)), out, "replicate")
}

// getpoint reads the pixel at x,y (one value per band).
func (im *image) getpoint(x, y int) ([]float64, error) {
	var buf [8]C.double
	n := C.ie_getpoint(im.p, C.int(x), C.int(y), &buf[0], 8)
	if n < 0 {
		return nil, vipsError("getpoint")
	}
	if n > 8 {
		n = 8
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(buf[i])
	}
	return out, nil
}

// findTrim returns the bounding box of the non-background area.
func (im *image) findTrim(threshold float64, bg []float64) (l, t, w, h int, err error) {
	cbg := make([]C.double, len(bg))
	for i, v := range bg {
		cbg[i] = C.double(v)
	}
	var cl, ct, cw, ch C.int
	if C.ie_find_trim(im.p, C.double(threshold), &cbg[0], C.int(len(bg)), &cl, &ct, &cw, &ch) != 0 {
		return 0, 0, 0, 0, vipsError("find_trim")
	}
	return int(cl), int(ct), int(cw), int(ch), nil
}

// arrayJoin stacks frames vertically into a new image (frames keep their
// own references; the caller closes them).
func arrayJoin(frames []*image) (*image, error) {
	ptrs := make([]*C.VipsImage, len(frames))
	for i, f := range frames {
		ptrs[i] = f.p
	}
	// ptrs is Go memory holding C pointers only: fine to pass for the call.
	var out *C.VipsImage
	if C.ie_arrayjoin(&ptrs[0], C.int(len(ptrs)), &out) != 0 {
		return nil, vipsError("arrayjoin")
	}
	return &image{p: out}, nil
}

func newBlack(w, h, bands int) (*image, error) {
	var out *C.VipsImage
	if C.ie_black(&out, C.int(w), C.int(h), C.int(bands)) != 0 {
		return nil, vipsError("black")
	}
	return &image{p: out}, nil
}

// newFromPixels copies 8-bit interleaved pixels into a new sRGB/B_W image.
func newFromPixels(pix []byte, w, h, bands int) (*image, error) {
	p := C.vips_image_new_from_memory_copy(unsafe.Pointer(&pix[0]), C.size_t(len(pix)), C.int(w), C.int(h), C.int(bands), C.VIPS_FORMAT_UCHAR)
	if p == nil {
		return nil, vipsError("new_from_memory_copy")
	}
	interp := C.VIPS_INTERPRETATION_sRGB
	if bands < 3 {
		interp = C.VIPS_INTERPRETATION_B_W
	}
	p.Type = C.VipsInterpretation(interp)
	return &image{p: p}, nil
}

// pixels returns the decoded pixels in Go memory (evaluates the pipeline).
func (im *image) pixels() ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	if C.ie_write_to_memory(im.p, &buf, &n) != 0 {
		return nil, vipsError("write_to_memory")
	}
	defer C.ie_g_free(buf)
	return C.GoBytes(buf, C.int(n)), nil
}
