// Package analyze computes what the /info endpoint and the best-format
// search learn from pixels (docs/info.md): BlurHash and ThumbHash
// placeholders, average, palette and dominant colours, a perceptual hash,
// an image complexity measure and the DSSIM between two renderings. It is
// pure Go and works on small 8-bit RGBA buffers that vips decodes (a
// shrink-on-load thumbnail for the placeholders and colours, the result
// itself for DSSIM).
//
// The package has no state: every function is safe for concurrent use and
// keeps no reference to its input.
package analyze

// Image is 8-bit sRGB pixels with straight (not premultiplied) alpha,
// four bytes per pixel, rows top to bottom without padding.
type Image struct {
	W, H int
	Pix  []byte // len = W*H*4
}

// at returns the pixel at index i (i = y*W + x).
func (m *Image) at(i int) (r, g, b, a byte) {
	p := m.Pix[i*4 : i*4+4 : i*4+4]
	return p[0], p[1], p[2], p[3]
}

// jsRound rounds half up, as JavaScript's Math.round does: the reference
// encoders of both placeholder formats are JavaScript, and their bit
// layouts are defined by it.
func jsRound(v float64) float64 {
	f := float64(int64(v))
	if v < 0 && f != v {
		f-- // floor for negatives
	}
	if v-f >= 0.5 {
		return f + 1
	}
	return f
}
