package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// The image wrapper: the only Go code that touches a *C.VipsImage, split
// over image.go (life cycle, header, metadata fields), image_new.go (making
// images from bytes or pixels), image_ops.go (geometry and pixel
// operations) and image_colour.go (colour spaces, profiles, band formats).
// The processing steps call these methods and never libvips itself.

// image owns one reference to a VipsImage. Every operation method replaces
// the held image with the operation's output and drops the old reference
// (the swap pattern), so a single deferred close releases whatever the
// pipeline ends with, on every path.
//
// An image loaded from Go bytes (loadBuffer) borrows them: libvips decodes
// lazily and keeps a pointer into them, so the image pins them
// (runtime.Pinner) until close. Images derived from it in their own wrapper
// (frames, clones) hold libvips references to it and must be closed before
// it. An image is used by one goroutine at a time.
type image struct {
	p   *C.VipsImage
	pin runtime.Pinner // pins the Go bytes a loader borrows; empty otherwise
}

// close drops the reference and unpins the borrowed bytes; safe to call
// twice and on a nil image.
func (im *image) close() {
	if im == nil || im.p == nil {
		return
	}
	C.ie_unref(im.p)
	im.p = nil
	im.pin.Unpin()
}

// swap takes ownership of out and releases the previous image.
func (im *image) swap(out *C.VipsImage) {
	C.ie_unref(im.p)
	im.p = out
}

// take replaces im's image by other's and empties other (which must not
// hold a pin: only loaded images do, and they are never taken).
func (im *image) take(other *image) {
	im.swap(other.p)
	other.p = nil
}

// clone returns a new reference to the same image in its own wrapper
// (a header copy, so its metadata can change independently).
func (im *image) clone() (*image, error) {
	var out *C.VipsImage
	if C.ie_copy(im.p, &out) != 0 {
		return nil, vipsError("copy")
	}
	return &image{p: out}, nil
}

func (im *image) width() int  { return int(im.p.Xsize) }
func (im *image) height() int { return int(im.p.Ysize) }
func (im *image) bands() int  { return int(im.p.Bands) }
func (im *image) hasAlpha() bool {
	return C.ie_has_alpha(im.p) != 0
}

func (im *image) getInt(name string, def int) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return int(C.ie_get_int(im.p, cs, C.int(def)))
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

// setBlob stores a copy of b (libvips owns the copy).
func (im *image) setBlob(name string, b []byte) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	C.ie_set_blob_copy(im.p, cs, unsafe.Pointer(&b[0]), C.size_t(len(b)))
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

// watch lets the current request's cancel token (cancel.go) stop the
// computation of im; unwatch(id) must follow once it is done.
func (im *image) watch() C.ulong { return C.ie_watch(im.p) }

func (im *image) unwatch(id C.ulong) { C.ie_unwatch(im.p, id) }
