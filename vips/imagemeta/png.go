package imagemeta

import (
	"hash/crc32"

	"github.com/imgedge/imgedge/options"
)

const pngSig = "\x89PNG\r\n\x1a\n"

// probePNG reads IHDR (CRC checked, so another format's bytes behind a PNG
// signature are refused) and walks the chunks up to the first IDAT for
// tRNS (alpha), acTL (APNG frames) and eXIf (orientation). Reaching the
// end of data before IDAT is an error: there is no image to decode. Chunk
// contents are never decompressed, so text and ICC chunk bombs cost
// nothing here.
func probePNG(data []byte) (Meta, error) {
	const f = options.FormatPNG
	d := data[len(pngSig):]
	if len(d) < 25 || be32(d) != 13 || string(d[4:8]) != "IHDR" {
		return Meta{}, broken(f, "missing IHDR")
	}
	if crc32.ChecksumIEEE(d[4:21]) != be32(d[21:]) {
		return Meta{}, broken(f, "bad IHDR checksum")
	}
	w, h := be32(d[8:]), be32(d[12:])
	depth, ctype := d[16], d[17]
	if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 {
		return Meta{}, broken(f, "bad dimensions %dx%d", w, h)
	}
	if !validPNGDepth(ctype, depth) {
		return Meta{}, broken(f, "bad colour type %d with depth %d", ctype, depth)
	}
	m := Meta{Format: f, Width: int(w), Height: int(h), Frames: 1, HasAlpha: ctype == 4 || ctype == 6,
		Channels: pngChannels[ctype], BitDepth: int(depth)}
	d = d[25:]
	for {
		if len(d) < 12 {
			return Meta{}, broken(f, "truncated before image data")
		}
		n := be32(d)
		if n > 1<<31-1 || uint64(n)+12 > uint64(len(d)) {
			if string(d[4:8]) == "IDAT" && n <= 1<<31-1 {
				return m, nil // truncated inside the image data: the header is complete
			}
			return Meta{}, broken(f, "chunk %q runs past the end", d[4:8])
		}
		typ, body := string(d[4:8]), d[8:8+n]
		switch typ {
		case "IDAT":
			return m, nil
		case "IEND":
			return Meta{}, broken(f, "no image data")
		case "tRNS":
			if !m.HasAlpha {
				m.HasAlpha = true
				m.Channels++
			}
		case "acTL":
			if n >= 8 {
				if fr := be32(body); fr >= 1 && fr <= 1<<31-1 {
					m.Frames = int(fr)
					m.Animated = fr > 1
				}
			}
		case "eXIf":
			if m.Orientation == 0 {
				m.Orientation = exifOrientation(body)
			}
		}
		d = d[12+n:]
	}
}

// pngChannels is the samples per pixel of each valid colour type, a
// palette counting as RGB (what decoders expand it to).
var pngChannels = [7]int{0: 1, 2: 3, 3: 3, 4: 2, 6: 4}

func validPNGDepth(ctype, depth byte) bool {
	switch ctype {
	case 0:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case 3:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case 2, 4, 6:
		return depth == 8 || depth == 16
	}
	return false
}
