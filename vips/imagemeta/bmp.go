package imagemeta

import "github.com/imgedge/imgedge/options"

// probeBMP reads the file header and the DIB header (BITMAPCOREHEADER, OS/2
// v2 and BITMAPINFOHEADER up to V5). Negative heights (top-down) are
// reported as their absolute value. HasAlpha is set for 32-bit images with
// a non-zero alpha mask.
func probeBMP(data []byte) (Meta, error) {
	const f = options.FormatBMP
	if len(data) < 18 {
		return Meta{}, broken(f, "truncated header")
	}
	m, err := parseDIB(data[14:], false)
	if err != nil {
		return Meta{}, err
	}
	return m, nil
}

// parseDIB parses a DIB header; inICO halves the height (an ICO entry's
// DIB height covers the XOR and AND masks).
func parseDIB(d []byte, inICO bool) (Meta, error) {
	f := options.FormatBMP
	if inICO {
		f = options.FormatICO
	}
	if len(d) < 4 {
		return Meta{}, broken(f, "truncated DIB header")
	}
	hs := le32(d)
	m := Meta{Format: f, Frames: 1}
	var w, h int64
	var bpp uint32
	switch {
	case hs == 12:
		if len(d) < 12 {
			return Meta{}, broken(f, "truncated DIB header")
		}
		w, h, bpp = int64(le16(d[4:])), int64(le16(d[6:])), le16(d[10:])
	case hs == 16 || hs == 40 || hs == 52 || hs == 56 || hs == 64 || hs == 108 || hs == 124:
		if len(d) < 16 {
			return Meta{}, broken(f, "truncated DIB header")
		}
		w, h, bpp = int64(int32(le32(d[4:]))), int64(int32(le32(d[8:]))), le16(d[14:])
		if le16(d[12:]) != 1 {
			return Meta{}, broken(f, "bad plane count")
		}
		var comp uint32
		if hs >= 20 && len(d) >= 20 {
			comp = le32(d[16:])
		}
		if bpp == 32 {
			var mask []byte
			switch {
			case hs >= 56 && len(d) >= 56:
				mask = d[52:56]
			case hs == 40 && comp == 6 && len(d) >= 56:
				mask = d[52:56]
			}
			m.HasAlpha = mask != nil && le32(mask) != 0 || inICO
		}
	default:
		return Meta{}, broken(f, "unknown DIB header size %d", hs)
	}
	switch bpp {
	case 1, 2, 4, 8, 16, 24, 32:
	default:
		return Meta{}, broken(f, "bad bit depth %d", bpp)
	}
	if h < 0 {
		h = -h
	}
	if inICO {
		h /= 2
	}
	if w <= 0 || h <= 0 {
		return Meta{}, broken(f, "bad dimensions %dx%d", w, h)
	}
	m.Width, m.Height = int(w), int(h)
	return m, nil
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
	} else if m, err = parseDIB(img, true); err != nil {
		return Meta{}, err
	}
	m.Format = f
	return m, nil
}
