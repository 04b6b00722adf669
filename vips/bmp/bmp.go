// Package bmp decodes Windows and OS/2 bitmaps (BMP files and the DIB
// images inside ICO files) in pure Go, without cgo, so that it can be
// fuzzed on its own.
//
// It reads what browsers read: 1, 2, 4, 8, 16, 24 and 32 bits per pixel;
// uncompressed, RLE8, RLE4 (with the end-of-line, end-of-bitmap and delta
// codes), OS/2 RLE24, BI_BITFIELDS and BI_ALPHABITFIELDS with any channel
// masks; BITMAPINFOHEADER and its V2 to V5 extensions, OS/2 1.x
// (BITMAPCOREHEADER) and 2.x headers; bottom-up and top-down rows.
// Embedded JPEG or PNG bitmaps, CMYK and Huffman-coded OS/2 bitmaps are
// refused.
//
// Rules where files are ambiguous (docs/security.md):
//   - a palette index at or past the number of palette colours is an error;
//   - a 32-bit (or alpha-masked 16-bit) bitmap whose alpha is zero in every
//     pixel is opaque, as browsers show it;
//   - pixels an RLE bitmap skips (delta, early end of line or bitmap, end
//     of data) are transparent;
//   - an uncompressed bitmap must hold all its rows (the last one may lack
//     its padding).
//
// Memory: the header is read first and the dimensions checked against the
// caller's pixel limit before anything is allocated; decoding allocates the
// output (width×height×3 or ×4 bytes) and nothing in proportion to declared
// sizes beyond it. Work is linear in the input size plus the output size.
//
// The package has no state; its functions are safe for concurrent use and
// never retain their input.
package bmp

import (
	"errors"
	"fmt"
	"math/bits"
)

// Compression methods (biCompression). RLE24 is OS/2's value 4, which
// Windows uses for BI_JPEG: Header.Compression holds the meaning, not the
// raw value.
const (
	RGB            = 0
	RLE8           = 1
	RLE4           = 2
	BitFields      = 3
	JPEG           = 4
	PNG            = 5
	AlphaBitFields = 6
	RLE24          = 100 // OS/2 2.x compression 4
	Huffman1D      = 101 // OS/2 2.x compression 3
)

// Errors. Decode errors wrap ErrInvalid or ErrUnsupported, or are
// ErrTooLarge.
var (
	ErrInvalid     = errors.New("bmp: invalid bitmap")
	ErrUnsupported = errors.New("bmp: unsupported bitmap")
	ErrTooLarge    = errors.New("bmp: bitmap is larger than the pixel limit")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// MaxPixels caps every decode, whatever limit the caller passes: an RLE
// bitmap of a few bytes can declare any size, and the whole image is held
// in memory (4 bytes a pixel at most, so 1 GiB).
const MaxPixels = 1 << 28

// fileHeaderSize is the size of BITMAPFILEHEADER.
const fileHeaderSize = 14

// Header describes a bitmap: what DecodeConfig and DecodeIconConfig read
// and Decode and DecodeIcon decode. Its unexported fields alias the input.
type Header struct {
	// Width and Height are the image size in pixels (an icon's Height is
	// half the DIB's, which also covers the AND mask).
	Width, Height int
	// BitCount is the bits per pixel: 1, 2, 4, 8, 16, 24 or 32.
	BitCount int
	// Compression is RGB, RLE8, RLE4, BitFields, AlphaBitFields or RLE24.
	Compression int
	// TopDown is set when the rows are stored top row first.
	TopDown bool
	// Alpha is set when the decoded image may have transparency (an alpha
	// channel or mask, RLE skips, an icon's AND mask). Whether it does is
	// known after decoding: Image.Channels.
	Alpha bool

	icon     bool
	core     bool      // OS/2 1.x header: 3-byte palette entries
	masks    [4]uint32 // R, G, B, A for 16 and 32 bits
	palette  []byte    // palette entries (3 or 4 bytes each)
	colors   int       // palette entries used
	pixels   []byte    // from the first pixel byte to the end of the input
	infoSize int
}

// Image is a decoded bitmap. Pix holds Width×Height pixels of Channels
// 8-bit samples (3: R, G, B; 4: R, G, B and straight alpha), rows top to
// bottom without padding. The caller owns it.
type Image struct {
	Width, Height int
	Channels      int
	Pix           []byte
}

func le16(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 }
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// DecodeConfig reads the headers of a BMP file (starting with "BM").
func DecodeConfig(data []byte) (Header, error) {
	if len(data) < fileHeaderSize+4 || data[0] != 'B' || data[1] != 'M' {
		return Header{}, invalid("not a BMP file")
	}
	h, end, err := parseInfo(data[fileHeaderSize:], false)
	if err != nil {
		return Header{}, err
	}
	// bfOffBits points at the pixels; an offset inside the headers or
	// past the end is ignored and the pixels taken to follow the palette,
	// as browsers do.
	end += fileHeaderSize
	off := int64(le32(data[10:]))
	if off < int64(end) || off >= int64(len(data)) {
		off = int64(end)
	}
	h.pixels = data[off:]
	return h, nil
}

// DecodeIconConfig reads the header of the DIB image of an ICO or CUR
// entry (no file header; the height field covers the image and its AND
// mask).
func DecodeIconConfig(dib []byte) (Header, error) {
	h, end, err := parseInfo(dib, true)
	if err != nil {
		return Header{}, err
	}
	h.pixels = dib[end:]
	return h, nil
}

// parseInfo reads an info header, its masks and its palette from d and
// returns the offset in d where they end.
func parseInfo(d []byte, icon bool) (Header, int, error) {
	if len(d) < 4 {
		return Header{}, 0, invalid("truncated header")
	}
	size := le32(d)
	if size < 12 || size > 1<<16 || int64(size) > int64(len(d)) {
		return Header{}, 0, invalid("header size %d", size)
	}
	h := Header{icon: icon, infoSize: int(size)}
	var w, ht int64
	var planes, clrUsed uint32
	comp := uint32(0)
	os2 := false
	switch {
	case size == 12: // OS/2 1.x / BITMAPCOREHEADER
		h.core = true
		w, ht = int64(le16(d[4:])), int64(le16(d[6:]))
		planes, h.BitCount = le16(d[8:]), int(le16(d[10:]))
	case size < 16:
		return Header{}, 0, invalid("header size %d", size)
	default: // OS/2 2.x (16..64 bytes) or Windows (40, 52, 56, 108, 124, ...)
		os2 = size <= 64 && size != 40 && size != 52 && size != 56
		w, ht = int64(int32(le32(d[4:]))), int64(int32(le32(d[8:])))
		planes, h.BitCount = le16(d[12:]), int(le16(d[14:]))
		if size >= 20 {
			comp = le32(d[16:])
		}
		if size >= 36 {
			clrUsed = le32(d[32:])
		}
	}
	if planes != 1 {
		return Header{}, 0, invalid("%d planes", planes)
	}
	switch h.BitCount {
	case 1, 2, 4, 8, 16, 24, 32:
	default:
		return Header{}, 0, unsupported("%d bits per pixel", h.BitCount)
	}
	switch {
	case os2 && comp == 3:
		h.Compression = Huffman1D
	case os2 && comp == 4:
		h.Compression = RLE24
	case comp <= AlphaBitFields:
		h.Compression = int(comp)
	default:
		return Header{}, 0, unsupported("compression %d", comp)
	}
	switch c := h.Compression; {
	case c == RGB:
	case c == RLE8 && h.BitCount == 8, c == RLE4 && h.BitCount == 4, c == RLE24 && h.BitCount == 24:
	case (c == BitFields || c == AlphaBitFields) && (h.BitCount == 16 || h.BitCount == 32):
	case c == JPEG || c == PNG || c == Huffman1D:
		return Header{}, 0, unsupported("compression %d (embedded JPEG/PNG or Huffman)", comp)
	default:
		return Header{}, 0, invalid("compression %d with %d bits per pixel", comp, h.BitCount)
	}
	if ht < 0 {
		ht = -ht
		h.TopDown = true
	}
	if icon {
		ht /= 2
	}
	if w <= 0 || ht <= 0 {
		return Header{}, 0, invalid("dimensions %dx%d", w, ht)
	}
	if h.TopDown && h.Compression >= RLE8 && h.Compression <= RLE4 || h.TopDown && h.Compression == RLE24 {
		return Header{}, 0, invalid("top-down RLE bitmap")
	}
	h.Width, h.Height = int(w), int(ht)

	end := int(size)
	switch h.Compression {
	case BitFields, AlphaBitFields:
		n := 3
		if h.Compression == AlphaBitFields {
			n = 4
		}
		if size >= 52 { // V2+ headers hold the masks
			for i := 0; i < n && 40+4*i+4 <= int(size); i++ {
				h.masks[i] = le32(d[40+4*i:])
			}
		} else {
			if len(d) < end+4*n {
				return Header{}, 0, invalid("truncated bit-field masks")
			}
			for i := 0; i < n; i++ {
				h.masks[i] = le32(d[end+4*i:])
			}
			end += 4 * n
		}
		if size >= 56 {
			h.masks[3] = le32(d[52:])
		}
	case RGB:
		switch h.BitCount {
		case 16:
			h.masks = [4]uint32{0x7c00, 0x3e0, 0x1f, 0}
		case 32:
			h.masks = [4]uint32{0xff0000, 0xff00, 0xff, 0xff000000}
			if size >= 56 && !icon { // V3+ headers say whether the fourth byte is alpha
				h.masks[3] = le32(d[52:])
			}
		}
	}

	entry := 4
	if h.core {
		entry = 3
	}
	if h.BitCount <= 8 {
		max := uint32(1) << h.BitCount
		h.colors = int(max)
		if clrUsed != 0 && clrUsed < max {
			h.colors = int(clrUsed)
		}
		if len(d)-end < h.colors*entry {
			return Header{}, 0, invalid("truncated palette (%d colours)", h.colors)
		}
		h.palette = d[end : end+h.colors*entry]
		end += h.colors * entry
	} else if clrUsed != 0 && clrUsed <= 1<<16 && len(d)-end >= int(clrUsed)*entry {
		end += int(clrUsed) * entry // an optional palette for display hints
	}

	h.Alpha = icon || h.masks[3] != 0 || h.Compression == RLE8 || h.Compression == RLE4 || h.Compression == RLE24
	return h, end, nil
}

// Decode decodes a BMP file. A bitmap of more than maxPixels pixels is
// refused with ErrTooLarge before anything is allocated (maxPixels <= 0:
// no limit).
func Decode(data []byte, maxPixels int64) (*Image, error) {
	h, err := DecodeConfig(data)
	if err != nil {
		return nil, err
	}
	return h.decode(maxPixels)
}

// DecodeIcon decodes the DIB image of an ICO or CUR entry, applying its
// AND mask. maxPixels is as for Decode.
func DecodeIcon(dib []byte, maxPixels int64) (*Image, error) {
	h, err := DecodeIconConfig(dib)
	if err != nil {
		return nil, err
	}
	return h.decode(maxPixels)
}

func (h *Header) decode(maxPixels int64) (*Image, error) {
	hi, n := bits.Mul64(uint64(h.Width), uint64(h.Height))
	if hi != 0 || n > MaxPixels || maxPixels > 0 && n > uint64(maxPixels) {
		return nil, ErrTooLarge
	}
	var d decoder
	d.h = h
	d.w, d.ht = h.Width, h.Height
	d.ch = 3
	if h.Alpha {
		d.ch = 4
	}
	d.pal = expandPalette(h)
	var err error
	switch h.Compression {
	case RLE8, RLE4, RLE24:
		d.out = make([]byte, int(n)*d.ch)
		err = d.rle()
	default:
		if err = d.checkSize(); err != nil {
			return nil, err
		}
		d.out = make([]byte, int(n)*d.ch)
		err = d.raw()
	}
	if err != nil {
		return nil, err
	}
	if h.icon {
		d.applyANDMask()
	}
	img := &Image{Width: d.w, Height: d.ht, Channels: d.ch, Pix: d.out}
	if d.ch == 4 && d.opaque() {
		img.Channels, img.Pix = 3, dropAlpha(d.out)
	}
	return img, nil
}

// decoder is the state of one decode.
type decoder struct {
	h     *Header
	w, ht int
	ch    int // output channels: 3 or 4
	pal   [][3]byte
	out   []byte

	sawAlpha bool // some pixel had a non-zero alpha sample
	written  int  // RLE: pixels written
}

// expandPalette returns the palette as RGB triples.
func expandPalette(h *Header) [][3]byte {
	if h.colors == 0 {
		return nil
	}
	entry := 4
	if h.core {
		entry = 3
	}
	pal := make([][3]byte, h.colors)
	for i := range pal {
		p := h.palette[i*entry:]
		pal[i] = [3]byte{p[2], p[1], p[0]}
	}
	return pal
}

// stride is the byte length of a stored row (padded to 4 bytes).
func (d *decoder) stride() int64 {
	return (int64(d.w)*int64(d.h.BitCount) + 31) / 32 * 4
}

// checkSize refuses uncompressed bitmaps whose rows are not all there (the
// last row may lack its padding).
func (d *decoder) checkSize() error {
	need := d.stride()*int64(d.ht-1) + (int64(d.w)*int64(d.h.BitCount)+7)/8
	if int64(len(d.h.pixels)) < need {
		return invalid("truncated pixel data: %d of %d bytes", len(d.h.pixels), need)
	}
	return nil
}

// row returns the output row of stored row i.
func (d *decoder) row(i int) []byte {
	y := i
	if !d.h.TopDown {
		y = d.ht - 1 - i
	}
	rl := d.w * d.ch
	return d.out[y*rl : (y+1)*rl]
}

// raw decodes uncompressed and bit-field rows.
func (d *decoder) raw() error {
	stride := int(d.stride())
	bpp := d.h.BitCount
	ms := newMasks(d.h.masks)
	for i := 0; i < d.ht; i++ {
		src := d.h.pixels[i*stride:]
		dst := d.row(i)
		switch {
		case bpp <= 8:
			mask := byte(1)<<bpp - 1
			for x := 0; x < d.w; x++ {
				bit := x * bpp
				idx := int(src[bit>>3]>>(8-bpp-bit&7)) & int(mask)
				if err := d.put(dst[x*d.ch:], idx); err != nil {
					return err
				}
			}
		case bpp == 24:
			for x := 0; x < d.w; x++ {
				p, o := src[3*x:3*x+3], dst[x*d.ch:]
				o[0], o[1], o[2] = p[2], p[1], p[0]
				if d.ch == 4 {
					o[3] = 255
				}
			}
		case bpp == 16:
			for x := 0; x < d.w; x++ {
				d.putMasked(dst[x*d.ch:], le16(src[2*x:]), &ms)
			}
		default: // 32
			for x := 0; x < d.w; x++ {
				d.putMasked(dst[x*d.ch:], le32(src[4*x:]), &ms)
			}
		}
	}
	return nil
}

// put writes palette colour idx at o.
func (d *decoder) put(o []byte, idx int) error {
	if idx >= len(d.pal) {
		return invalid("palette index %d with %d colours", idx, len(d.pal))
	}
	c := d.pal[idx]
	o[0], o[1], o[2] = c[0], c[1], c[2]
	if d.ch == 4 {
		o[3] = 255
	}
	return nil
}

// channel extracts one bit-field channel and scales it to 8 bits.
type channel struct {
	mask  uint32
	shift uint
	max   uint32 // largest value after shifting
}

type masks [4]channel

func newMasks(m [4]uint32) masks {
	var ms masks
	for i, v := range m {
		if v == 0 {
			continue
		}
		s := uint(bits.TrailingZeros32(v))
		ms[i] = channel{mask: v, shift: s, max: v >> s}
	}
	return ms
}

func (c *channel) get(px uint32) byte {
	if c.mask == 0 {
		return 0
	}
	v := (px & c.mask) >> c.shift
	if c.max == 255 {
		return byte(v)
	}
	return byte((uint64(v)*255 + uint64(c.max)/2) / uint64(c.max))
}

func (d *decoder) putMasked(o []byte, px uint32, ms *masks) {
	o[0], o[1], o[2] = ms[0].get(px), ms[1].get(px), ms[2].get(px)
	if d.ch == 4 {
		a := byte(255)
		if ms[3].mask != 0 {
			a = ms[3].get(px)
			if a != 0 {
				d.sawAlpha = true
			}
		}
		o[3] = a
	}
}

// opaque reports whether the decoded RGBA image can be stored as RGB: no
// transparency at all, or (alpha from a bit field) no non-zero alpha
// anywhere, which browsers show as opaque.
func (d *decoder) opaque() bool {
	if d.h.Compression >= RLE8 && d.h.Compression <= RLE4 || d.h.Compression == RLE24 {
		return d.written == d.w*d.ht
	}
	if d.h.masks[3] != 0 && !d.sawAlpha && !d.h.icon {
		return true // every alpha sample was zero: ignore the channel
	}
	for i := 3; i < len(d.out); i += 4 {
		if d.out[i] != 255 {
			return false
		}
	}
	return true
}

// dropAlpha compacts RGBA pixels to RGB in place.
func dropAlpha(p []byte) []byte {
	j := 0
	for i := 0; i+3 < len(p); i += 4 {
		p[j], p[j+1], p[j+2] = p[i], p[i+1], p[i+2]
		j += 3
	}
	return p[:j:j]
}

// applyANDMask applies an icon's 1-bit AND mask (stored after the image
// rows, bottom-up: a set bit is transparent). A 32-bit icon with alpha
// uses its alpha instead; one whose alpha is zero everywhere falls back to
// the mask (or is opaque without one).
func (d *decoder) applyANDMask() {
	if d.h.BitCount == 32 && d.sawAlpha {
		return
	}
	if d.h.BitCount == 32 { // alpha all zero: start opaque
		for i := 3; i < len(d.out); i += 4 {
			d.out[i] = 255
		}
	}
	var xorLen int64
	switch d.h.Compression {
	case RGB, BitFields, AlphaBitFields:
		xorLen = d.stride() * int64(d.ht)
	default:
		return // an RLE icon has no usable mask position
	}
	mstride := (int64(d.w) + 31) / 32 * 4
	if int64(len(d.h.pixels)) < xorLen+mstride*int64(d.ht) {
		return // no mask
	}
	m := d.h.pixels[xorLen:]
	for i := 0; i < d.ht; i++ {
		src := m[int64(i)*mstride:]
		dst := d.row(i)
		for x := 0; x < d.w; x++ {
			if src[x>>3]&(0x80>>(x&7)) != 0 {
				dst[x*4+3] = 0
			}
		}
	}
}
