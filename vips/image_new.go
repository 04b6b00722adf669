package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"unsafe"

	"github.com/imgedge/imgedge/options"
)

// loadParams are the libvips loader options imgedge uses.
type loadParams struct {
	seq       bool    // sequential access (the pipeline reads top to bottom once)
	shrink    int     // JPEG shrink-on-load factor (1, 2, 4, 8)
	scale     float64 // WebP/SVG/PDF scale-on-load (0 = 1)
	page      int     // first page or frame to load (page option)
	n         int     // pages to load (animations, pages option); 0 = 1
	thumbnail bool    // HEIF: load the embedded thumbnail
	unlimited bool    // lift libpng's / librsvg's size limits
}

// loadBuffer opens src with the libvips loader for f. Loading is lazy: the
// image borrows src and reads it while pixels are computed, so src is
// pinned until the image is closed (cgo forbids C keeping a pointer into
// unpinned Go memory) and must not change meanwhile. src must not be empty.
func loadBuffer(src []byte, f options.Format, lp loadParams) (*image, error) {
	if lp.n == 0 {
		lp.n = 1
	}
	im := &image{}
	im.pin.Pin(&src[0])
	var out *C.VipsImage
	rc := C.ie_load(C.int(f), unsafe.Pointer(&src[0]), C.size_t(len(src)), cbool(lp.seq), C.int(lp.shrink),
		C.double(lp.scale), C.int(lp.page), C.int(lp.n), cbool(lp.thumbnail), cbool(lp.unlimited), &out)
	if rc != 0 {
		im.pin.Unpin()
		return nil, vipsError("load")
	}
	im.p = out
	return im, nil
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
