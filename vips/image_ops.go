package vips

/*
#include "cvips.h"
*/
import "C"

// result applies the outcome of a wrapper call: on success the output
// replaces the held image; on failure the libvips error is returned.
func (im *image) result(rc C.int, out *C.VipsImage, op string) error {
	if rc != 0 {
		return vipsError(op)
	}
	im.swap(out)
	return nil
}

// copyMemory computes the image into memory (random access for the steps
// that read pixels more than once). The computation can be cancelled.
func (im *image) copyMemory() error {
	id := im.watch()
	var out *C.VipsImage
	rc := C.ie_copy_memory(im.p, &out)
	im.unwatch(id)
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

// area returns the given rectangle of im as a new image (im is unchanged).
func (im *image) area(l, t, w, h int) (*image, error) {
	var out *C.VipsImage
	if C.ie_extract_area(im.p, &out, C.int(l), C.int(t), C.int(w), C.int(h)) != 0 {
		return nil, vipsError("extract_area")
	}
	return &image{p: out}, nil
}

func (im *image) extractBand(band, n int) error {
	var out *C.VipsImage
	return im.result(C.ie_extract_band(im.p, &out, C.int(band), C.int(n)), out, "extract_band")
}

// band returns n bands of im starting at band as a new image (im is
// unchanged).
func (im *image) band(band, n int) (*image, error) {
	var out *C.VipsImage
	if C.ie_extract_band(im.p, &out, C.int(band), C.int(n)) != 0 {
		return nil, vipsError("extract_band")
	}
	return &image{p: out}, nil
}

// bandjoin appends the bands of other to im (other is unchanged).
func (im *image) bandjoin(other *image) error {
	var out *C.VipsImage
	return im.result(C.ie_bandjoin2(im.p, other.p, &out), out, "bandjoin")
}

func (im *image) resize(h, v float64) error { return im.resizeKernel(h, v, C.VIPS_KERNEL_LANCZOS3) }

func (im *image) rot(angle int) error {
	if angle == 0 {
		return nil
	}
	var out *C.VipsImage
	return im.result(C.ie_rot(im.p, &out, C.int(angle)), out, "rot")
}

func (im *image) flip(vertical bool) error {
	var out *C.VipsImage
	return im.result(C.ie_flip(im.p, &out, cbool(vertical)), out, "flip")
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
	if im.bandFormat() == formatUshort {
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
