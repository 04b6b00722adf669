package imagemeta

import "github.com/imgedge/imgedge/options"

// probeGIF reads the logical screen and walks the block structure,
// counting image descriptors (up to MaxFrames) without touching LZW data:
// every sub-block is skipped by its length byte, so the walk is linear in
// len(data). A transparent colour in any Graphic Control Extension sets
// HasAlpha. The first frame may grow the canvas past the logical screen
// (libnsgif does the same), so a 1x1 screen cannot hide a huge frame. A
// file cut after at least one complete image descriptor is accepted, as
// libnsgif accepts truncated GIFs; one without any is an error.
func probeGIF(data []byte) (Meta, error) {
	const f = options.FormatGIF
	if len(data) < 13 {
		return Meta{}, broken(f, "truncated logical screen descriptor")
	}
	w, h := int(le16(data[6:])), int(le16(data[8:]))
	flags := data[10]
	p := 13
	if flags&0x80 != 0 {
		p += 3 << (flags&7 + 1)
	}
	m := Meta{Format: f}
	frames := 0
loop:
	for frames < MaxFrames {
		if p >= len(data) {
			break
		}
		switch data[p] {
		case 0x3b: // trailer
			break loop
		case 0x21: // extension
			if p+2 > len(data) {
				break loop
			}
			label := data[p+1]
			p += 2
			if label == 0xf9 && p+2 <= len(data) && data[p] >= 4 && data[p+1]&1 != 0 {
				m.HasAlpha = true
			}
			var ok bool
			if p, ok = skipSubBlocks(data, p); !ok {
				break loop
			}
		case 0x2c: // image descriptor
			if p+10 > len(data) {
				break loop
			}
			d := data[p+1:]
			x, y, fw, fh := int(le16(d)), int(le16(d[2:])), int(le16(d[4:])), int(le16(d[6:]))
			if frames == 0 {
				w, h = max(w, x+fw), max(h, y+fh)
			}
			frames++
			lflags := d[8]
			p += 10
			if lflags&0x80 != 0 {
				p += 3 << (lflags&7 + 1)
			}
			p++ // LZW minimum code size
			var ok bool
			if p, ok = skipSubBlocks(data, p); !ok {
				break loop
			}
		default:
			// libnsgif stops at garbage too and keeps the frames read so far.
			break loop
		}
	}
	if frames == 0 {
		return Meta{}, broken(f, "no image")
	}
	if w == 0 || h == 0 {
		return Meta{}, broken(f, "zero dimensions")
	}
	m.Width, m.Height, m.Frames, m.Animated = w, h, frames, frames > 1
	return m, nil
}

// skipSubBlocks skips a chain of data sub-blocks starting at p and returns
// the position after the terminator; ok is false when data ends first.
func skipSubBlocks(data []byte, p int) (int, bool) {
	for p < len(data) {
		n := int(data[p])
		p++
		if n == 0 {
			return p, true
		}
		p += n
	}
	return p, false
}
