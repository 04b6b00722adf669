package vips

// libvips 8.14 has no BMP or ICO loader of its own (only through
// ImageMagick, which Startup blocks for safety), so BMP and ICO are decoded
// and encoded here in pure Go: BMP with golang.org/x/image/bmp, ICO with a
// small reader for PNG-in-ICO and 24/32-bit DIB entries. The decoded pixels
// are copied into a libvips image; the source limits were already checked
// from the header (imagemeta) before we get here.

import (
	"bytes"
	"encoding/binary"
	"errors"
	goimage "image"
	"image/color"
	"image/draw"

	"golang.org/x/image/bmp"

	"github.com/imgedge/imgedge/options"
)

// loadBMP decodes a BMP file into a new image.
func loadBMP(src []byte) (*image, error) {
	m, err := bmp.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, options.Wrap(options.KindBrokenImage, "bmp decode", err)
	}
	return imageFromGo(m)
}

// imageFromGo copies a Go image into a libvips sRGB (RGB or RGBA) image.
func imageFromGo(m goimage.Image) (*image, error) {
	b := m.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, options.Errorf(options.KindBrokenImage, "empty image")
	}
	nrgba, ok := m.(*goimage.NRGBA)
	if !ok || nrgba.Stride != 4*b.Dx() {
		nrgba = goimage.NewNRGBA(goimage.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(nrgba, nrgba.Bounds(), m, b.Min, draw.Src)
	}
	opaque := nrgba.Opaque()
	bands := 4
	pix := nrgba.Pix
	if opaque {
		bands = 3
		rgb := make([]byte, 0, b.Dx()*b.Dy()*3)
		for i := 0; i < len(pix); i += 4 {
			rgb = append(rgb, pix[i], pix[i+1], pix[i+2])
		}
		pix = rgb
	}
	return newFromPixels(pix, b.Dx(), b.Dy(), bands)
}

// icoEntry is one ICONDIRENTRY.
type icoEntry struct {
	w, h   int
	size   int
	offset int
}

// loadICO decodes the largest image of an ICO file.
func loadICO(src []byte, pngLoad func([]byte) (*image, error)) (*image, error) {
	if len(src) < 6 || binary.LittleEndian.Uint16(src[2:]) != 1 {
		return nil, options.Errorf(options.KindBrokenImage, "ico: bad header")
	}
	n := int(binary.LittleEndian.Uint16(src[4:]))
	if n == 0 || len(src) < 6+16*n {
		return nil, options.Errorf(options.KindBrokenImage, "ico: truncated directory")
	}
	var best icoEntry
	for i := 0; i < n; i++ {
		d := src[6+16*i:]
		e := icoEntry{w: int(d[0]), h: int(d[1]), size: int(binary.LittleEndian.Uint32(d[8:])), offset: int(binary.LittleEndian.Uint32(d[12:]))}
		if e.w == 0 {
			e.w = 256
		}
		if e.h == 0 {
			e.h = 256
		}
		if e.offset < 0 || e.size <= 0 || e.offset+e.size > len(src) || e.offset+e.size < e.offset {
			continue
		}
		if e.w*e.h > best.w*best.h {
			best = e
		}
	}
	if best.size == 0 {
		return nil, options.Errorf(options.KindBrokenImage, "ico: no usable entry")
	}
	data := src[best.offset : best.offset+best.size]
	if bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return pngLoad(data)
	}
	m, err := decodeDIB(data)
	if err != nil {
		return nil, options.Wrap(options.KindBrokenImage, "ico", err)
	}
	return imageFromGo(m)
}

// decodeDIB decodes a BITMAPINFOHEADER bitmap as stored in ICO files
// (height doubled for the AND mask; 32-bit pixels carry alpha).
func decodeDIB(d []byte) (goimage.Image, error) {
	if len(d) < 40 {
		return nil, errors.New("dib: truncated header")
	}
	hdr := int(binary.LittleEndian.Uint32(d))
	w := int(int32(binary.LittleEndian.Uint32(d[4:])))
	h := int(int32(binary.LittleEndian.Uint32(d[8:]))) / 2
	bpp := int(binary.LittleEndian.Uint16(d[14:]))
	comp := binary.LittleEndian.Uint32(d[16:])
	if hdr < 40 || hdr > len(d) || w <= 0 || h <= 0 || w > 1024 || h > 1024 || comp != 0 {
		return nil, errors.New("dib: unsupported header")
	}
	var palette []color.NRGBA
	off := hdr
	if bpp <= 8 {
		nc := int(binary.LittleEndian.Uint32(d[32:]))
		if nc == 0 {
			nc = 1 << bpp
		}
		if nc > 256 || off+4*nc > len(d) {
			return nil, errors.New("dib: bad palette")
		}
		for i := 0; i < nc; i++ {
			p := d[off+4*i:]
			palette = append(palette, color.NRGBA{p[2], p[1], p[0], 255})
		}
		off += 4 * nc
	}
	switch bpp {
	case 1, 4, 8, 24, 32:
	default:
		return nil, errors.New("dib: unsupported bit depth")
	}
	stride := (w*bpp + 31) / 32 * 4
	maskStride := (w + 31) / 32 * 4
	if off+stride*h > len(d) {
		return nil, errors.New("dib: truncated pixels")
	}
	hasMask := bpp != 32 && off+stride*h+maskStride*h <= len(d)
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := d[off+(h-1-y)*stride:]
		for x := 0; x < w; x++ {
			var c color.NRGBA
			switch bpp {
			case 32:
				c = color.NRGBA{row[4*x+2], row[4*x+1], row[4*x], row[4*x+3]}
			case 24:
				c = color.NRGBA{row[3*x+2], row[3*x+1], row[3*x], 255}
			default:
				bit := x * bpp
				idx := int(row[bit/8]>>(8-bpp-bit%8)) & (1<<bpp - 1)
				if idx < len(palette) {
					c = palette[idx]
				}
			}
			if hasMask {
				mrow := d[off+stride*h+(h-1-y)*maskStride:]
				if mrow[x/8]&(0x80>>(x%8)) != 0 {
					c.A = 0
				}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m, nil
}

// goImage reads an 8-bit sRGB/B_W image (1–4 bands) into a Go image.
func (im *image) goImage() (goimage.Image, error) {
	pix, err := im.pixels()
	if err != nil {
		return nil, err
	}
	w, h, bands := im.width(), im.height(), im.bands()
	if len(pix) != w*h*bands {
		return nil, errors.New("unexpected pixel buffer size")
	}
	out := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(pix); i, j = i+bands, j+4 {
		switch bands {
		case 1:
			out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = pix[i], pix[i], pix[i], 255
		case 2:
			out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = pix[i], pix[i], pix[i], pix[i+1]
		case 3:
			out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = pix[i], pix[i+1], pix[i+2], 255
		default:
			out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = pix[i], pix[i+1], pix[i+2], pix[i+3]
		}
	}
	return out, nil
}

// encodeBMP writes a 24-bit BMP for an opaque image and a 32-bit one with
// alpha otherwise (as imgproxy does).
func encodeBMP(m goimage.Image) ([]byte, error) {
	if n, ok := m.(*goimage.NRGBA); ok && !n.Opaque() {
		return encodeBMP32(n), nil
	}
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeBMP32 writes m as a top-down 32-bit BMP with a BITMAPV5HEADER and
// BI_BITFIELDS masks (BGRA, straight alpha), the layout readers honour
// alpha in.
func encodeBMP32(m *goimage.NRGBA) []byte {
	const fileHdr, infoHdr = 14, 124
	w, h := m.Rect.Dx(), m.Rect.Dy()
	size := fileHdr + infoHdr + 4*w*h
	out := make([]byte, fileHdr+infoHdr, size)
	le := binary.LittleEndian
	out[0], out[1] = 'B', 'M'
	le.PutUint32(out[2:], uint32(size))
	le.PutUint32(out[10:], fileHdr+infoHdr) // pixel data offset
	d := out[fileHdr:]
	le.PutUint32(d[0:], infoHdr)
	le.PutUint32(d[4:], uint32(int32(w)))
	le.PutUint32(d[8:], uint32(int32(-h))) // negative: top-down rows
	le.PutUint16(d[12:], 1)                // planes
	le.PutUint16(d[14:], 32)               // bits per pixel
	le.PutUint32(d[16:], 3)                // BI_BITFIELDS
	le.PutUint32(d[20:], uint32(4*w*h))    // image size
	le.PutUint32(d[24:], 2835)             // 72 dpi
	le.PutUint32(d[28:], 2835)
	le.PutUint32(d[40:], 0x00ff0000) // red mask
	le.PutUint32(d[44:], 0x0000ff00) // green mask
	le.PutUint32(d[48:], 0x000000ff) // blue mask
	le.PutUint32(d[52:], 0xff000000) // alpha mask
	le.PutUint32(d[56:], 0x73524742) // LCS_sRGB
	le.PutUint32(d[108:], 4)         // LCS_GM_IMAGES
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := 0; x < 4*w; x += 4 {
			out = append(out, row[x+2], row[x+1], row[x], row[x+3])
		}
	}
	return out
}

// wrapICO wraps one PNG image (≤256×256) into an ICO container.
func wrapICO(png []byte, w, h int) []byte {
	out := make([]byte, 22, 22+len(png))
	binary.LittleEndian.PutUint16(out[2:], 1) // type icon
	binary.LittleEndian.PutUint16(out[4:], 1) // one image
	out[6] = byte(w % 256)                    // 256 is stored as 0
	out[7] = byte(h % 256)
	binary.LittleEndian.PutUint16(out[10:], 1)  // planes
	binary.LittleEndian.PutUint16(out[12:], 32) // bpp
	binary.LittleEndian.PutUint32(out[14:], uint32(len(png)))
	binary.LittleEndian.PutUint32(out[18:], 22)
	return append(out, png...)
}
