package vips

// libvips 8.14 has no BMP or ICO loader of its own (only through
// ImageMagick, which Startup blocks for safety), so BMP and ICO are decoded
// here in pure Go: BMP and the DIB entries of ICO files by package
// vips/bmp (every variant browsers read), PNG entries of ICO files by
// libvips. The decoded pixels are copied into a libvips image. The source
// limits were already checked on the probe's header (imagemeta), which
// reads the same headers with the same parser, and the ICO entry decoded is
// the one the probe described (imagemeta.ICOImage).

import (
	"bytes"
	"encoding/binary"
	"errors"
	goimage "image"

	xbmp "golang.org/x/image/bmp"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/bmp"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// loadBMP decodes a BMP file into a new image.
func loadBMP(src []byte) (*image, error) {
	m, err := bmp.Decode(src, 0)
	if err != nil {
		return nil, bmpLoadError("bmp", err)
	}
	return newFromPixels(m.Pix, m.Width, m.Height, m.Channels)
}

// bmpLoadError classifies a package bmp error: a size over the decoder's
// own cap is a source that is too big, anything else a broken image.
func bmpLoadError(what string, err error) error {
	if errors.Is(err, bmp.ErrTooLarge) {
		return options.Wrap(options.KindSourceTooBig, what, err)
	}
	return options.Wrap(options.KindBrokenImage, what, err)
}

// loadICO decodes the ICO entry the probe chose and checked
// (imagemeta.ICOImage): a PNG through pngLoad, a DIB with package bmp.
func loadICO(src []byte, pngLoad func([]byte) (*image, error)) (*image, error) {
	entry, isPNG, err := imagemeta.ICOImage(src)
	if err != nil {
		return nil, err
	}
	if isPNG {
		return pngLoad(entry)
	}
	m, err := bmp.DecodeIcon(entry, 0)
	if err != nil {
		return nil, bmpLoadError("ico", err)
	}
	return newFromPixels(m.Pix, m.Width, m.Height, m.Channels)
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
	if err := xbmp.Encode(&buf, m); err != nil {
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
