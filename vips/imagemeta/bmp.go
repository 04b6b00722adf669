package imagemeta

import (
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/bmp"
)

// probeBMP reads the file and info headers with the decoder's own header
// parser (package bmp), so the size checked here is the size decoded.
// HasAlpha is set when the bitmap may carry transparency (an alpha channel
// or mask, or RLE skips).
func probeBMP(data []byte) (Meta, error) {
	h, err := bmp.DecodeConfig(data)
	if err != nil {
		return Meta{}, bmpError(options.FormatBMP, err)
	}
	return Meta{Format: options.FormatBMP, Frames: 1, Width: h.Width, Height: h.Height, HasAlpha: h.Alpha}, nil
}

// bmpError maps a package bmp error to the kind the pipeline reports.
func bmpError(f options.Format, err error) error {
	return options.Wrap(options.KindBrokenImage, f.String(), err)
}

// ICOImage returns the image of the ICO entry that Probe describes: among
// the entries whose data lies within the file, the one with the largest
// declared size (the first on ties). img is a sub-slice of data (not copied): a complete PNG file when
// isPNG, else a DIB (BITMAPINFOHEADER with the height doubled for the AND
// mask, no BMP file header). A loader must decode this entry and no other,
// so that the limits checked on Probe's Meta are those of the decoded
// image. Errors are *options.Error (KindInvalidImage, KindBrokenImage).
func ICOImage(data []byte) (img []byte, isPNG bool, err error) {
	if !hasPrefix(data, "\x00\x00\x01\x00") {
		return nil, false, options.Errorf(options.KindInvalidImage, "not an ico file")
	}
	img, _, err = icoEntry(data)
	if err != nil {
		return nil, false, err
	}
	return img, hasPrefix(img, pngSig), nil
}

// icoEntry returns the chosen entry's bytes and index.
func icoEntry(data []byte) ([]byte, int, error) {
	const f = options.FormatICO
	if len(data) < 6 {
		return nil, 0, broken(f, "truncated header")
	}
	n := int(le16(data[4:]))
	if n == 0 {
		return nil, 0, broken(f, "no entries")
	}
	if len(data) < 6+16*n {
		return nil, 0, broken(f, "truncated directory")
	}
	best, bestArea := -1, 0
	for i := 0; i < n; i++ {
		e := data[6+16*i:]
		w, h := int(e[0]), int(e[1])
		if w == 0 {
			w = 256
		}
		if h == 0 {
			h = 256
		}
		size, off := uint64(le32(e[8:])), uint64(le32(e[12:]))
		if size == 0 || off+size > uint64(len(data)) {
			continue // unusable entry
		}
		if a := w * h; a > bestArea {
			best, bestArea = i, a
		}
	}
	if best < 0 {
		return nil, 0, broken(f, "no usable entry")
	}
	e := data[6+16*best:]
	size, off := uint64(le32(e[8:])), uint64(le32(e[12:]))
	img := data[off : off+size]
	return img, best, nil
}

// probeICO describes the entry ICOImage returns, with its real dimensions
// read from the embedded PNG or DIB header: a 256x256 directory entry can
// hold a PNG declaring 100000x100000.
func probeICO(data []byte) (Meta, error) {
	const f = options.FormatICO
	img, best, err := icoEntry(data)
	if err != nil {
		return Meta{}, err
	}
	var m Meta
	if hasPrefix(img, pngSig) {
		m, err = probePNG(img)
		if err != nil {
			return Meta{}, broken(f, "entry %d: %v", best, err)
		}
		m.Frames, m.Animated, m.Orientation = 1, false, 0
	} else {
		h, err := bmp.DecodeIconConfig(img)
		if err != nil {
			return Meta{}, bmpError(f, err)
		}
		m = Meta{Width: h.Width, Height: h.Height, Frames: 1, HasAlpha: h.Alpha}
	}
	m.Format = f
	return m, nil
}
