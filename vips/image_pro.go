package vips

/*
#include "cvips.h"
*/
import "C"

import "unsafe"

// Image wrapper methods for the imgproxy Pro image options (the steps in
// adjust.go, monochrome.go, duotone.go, colorize.go, gradient.go,
// unsharp_masking.go, blur_areas.go, progressive_blur.go,
// color_profile.go, dpi.go and the encoders in encode_options.go). Like
// the rest of the wrapper, each operation replaces the held image.

// cdoubles copies vs into C-compatible memory for one call.
func cdoubles(vs []float64) []C.double {
	out := make([]C.double, len(vs))
	for i, v := range vs {
		out[i] = C.double(v)
	}
	return out
}

// linear computes a[i]*band[i] + b[i] per band. a and b have one value for
// all bands, one per band, or n values that turn a one-band image into n
// bands; a single value on one side is repeated to the other's length.
// The result is float, or 8-bit (rounded and clipped) with uchar.
func (im *image) linear(a, b []float64, uchar bool) error {
	n := max(len(a), len(b))
	if (len(a) != n && len(a) != 1) || (len(b) != n && len(b) != 1) {
		panic("BUG: vips: linear needs as many multipliers as offsets, or one")
	}
	ca, cb := make([]C.double, n), make([]C.double, n)
	for i := range n {
		ca[i], cb[i] = C.double(a[min(i, len(a)-1)]), C.double(b[min(i, len(b)-1)])
	}
	var out *C.VipsImage
	return im.result(C.ie_linear(im.p, &out, &ca[0], &cb[0], C.int(n), cbool(uchar)), out, "linear")
}

// blendWith replaces im by other where mask is 255, keeps im where it is
// 0 and mixes them in between (mask: one 8-bit band, same size).
func (im *image) blendWith(other, mask *image) error {
	var out *C.VipsImage
	return im.result(C.ie_blend(mask.p, other.p, im.p, &out), out, "ifthenelse")
}

// insert pastes sub at x,y (sub is unchanged).
func (im *image) insert(sub *image, x, y int) error {
	var out *C.VipsImage
	return im.result(C.ie_insert(im.p, sub.p, &out, C.int(x), C.int(y)), out, "insert")
}

// convolve applies the w×h mask m divided by scale, in float precision.
func (im *image) convolve(m []float64, w, h int, scale float64) error {
	cm := cdoubles(m)
	var out *C.VipsImage
	return im.result(C.ie_matrix(im.p, &out, 0, &cm[0], C.int(w), C.int(h), C.double(scale)), out, "conv")
}

// recomb makes outBands bands, each a weighted sum of the image's bands
// (m has one row of weights per output band).
func (im *image) recomb(m []float64, outBands int) error {
	cm := cdoubles(m)
	var out *C.VipsImage
	return im.result(C.ie_matrix(im.p, &out, 1, &cm[0], C.int(im.bands()), C.int(outBands), 1), out, "recomb")
}

// iccTransformTo converts im to libvips' built-in profile name ("srgb" or
// "cmyk") with relative colorimetric intent, 8 bits, and attaches it.
func (im *image) iccTransformTo(name string) error {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var out *C.VipsImage
	return im.result(C.ie_icc_transform_to(im.p, &out, cs), out, "icc_transform")
}

// quantise reduces 8-bit RGBA to at most colors colours (libimagequant,
// dithered); the result is computed into memory.
func (im *image) quantise(colors int) error {
	id := im.watch()
	var out *C.VipsImage
	rc := C.ie_quantise(im.p, &out, C.int(colors))
	im.unwatch(id)
	return im.result(rc, out, "quantise")
}

// setResolution sets the density saved by encoders that store it, in
// pixels per millimetre (libvips' unit). im must be private (copied).
func (im *image) setResolution(ppm float64) {
	im.p.Xres = C.double(ppm)
	im.p.Yres = C.double(ppm)
}

// setInterp changes how the bands are read without touching pixels. im
// must be private (copied).
func (im *image) setInterp(i interpretation) { im.p.Type = C.VipsInterpretation(i) }

// newXY returns a w×h two-band image whose pixels hold their own x and y.
func newXY(w, h int) (*image, error) {
	var out *C.VipsImage
	if C.ie_xyz(&out, C.int(w), C.int(h)) != 0 {
		return nil, vipsError("xyz")
	}
	return &image{p: out}, nil
}

// resizeKernel scales by h and v with a libvips kernel (resizeKernels).
func (im *image) resizeKernel(h, v float64, kernel int) error {
	var out *C.VipsImage
	return im.result(C.ie_resize(im.p, &out, C.double(h), C.double(v), C.int(kernel)), out, "resize")
}

// libvips' VipsKernel values for options.ResizingAlgorithm.
var resizeKernels = [...]int{
	C.VIPS_KERNEL_LANCZOS3, C.VIPS_KERNEL_NEAREST, C.VIPS_KERNEL_LINEAR, C.VIPS_KERNEL_CUBIC, C.VIPS_KERNEL_LANCZOS2,
}
