// Package bmptest writes BMP files and icon DIBs byte by byte for tests,
// in any layout package bmp reads (and some it refuses). It is used only by
// tests; it has no state and its functions are safe for concurrent use.
package bmptest

import "encoding/binary"

// Spec describes a bitmap to write. Zero fields take the defaults noted.
type Spec struct {
	W, H    int
	Hdr     int // info header size: 12, 16, 40, 52, 56, 64, 108, 124
	BPP     int
	Comp    uint32 // raw biCompression
	TopDown bool
	// Masks are written after a 40-byte header, or into a V2+ header.
	Masks   []uint32
	Palette [][3]byte // RGB
	ClrUsed uint32    // 0 = len(Palette) when shorter than 2^BPP
	Data    []byte    // pixel data as stored
}

func put16(b []byte, v int)    { binary.LittleEndian.PutUint16(b, uint16(v)) }
func put32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

// Info returns the info header, masks and palette; heightMul 2 writes an
// icon's doubled height.
func (s Spec) Info(heightMul int) []byte {
	d := make([]byte, s.Hdr)
	put32(d, uint32(s.Hdr))
	h := s.H * heightMul
	if s.TopDown {
		h = -h
	}
	if s.Hdr == 12 {
		put16(d[4:], s.W)
		put16(d[6:], h)
		put16(d[8:], 1)
		put16(d[10:], s.BPP)
	} else {
		put32(d[4:], uint32(int32(s.W)))
		put32(d[8:], uint32(int32(h)))
		put16(d[12:], 1)
		put16(d[14:], s.BPP)
		if s.Hdr >= 20 {
			put32(d[16:], s.Comp)
		}
		if s.Hdr >= 24 {
			put32(d[20:], uint32(len(s.Data)))
		}
		if s.Hdr >= 36 {
			cu := s.ClrUsed
			if cu == 0 && len(s.Palette) > 0 && len(s.Palette) < 1<<s.BPP {
				cu = uint32(len(s.Palette))
			}
			put32(d[32:], cu)
		}
	}
	if s.Hdr >= 52 {
		for i, m := range s.Masks {
			put32(d[40+4*i:], m)
		}
	} else {
		for _, m := range s.Masks {
			d = binary.LittleEndian.AppendUint32(d, m)
		}
	}
	for _, c := range s.Palette {
		d = append(d, c[2], c[1], c[0])
		if s.Hdr != 12 {
			d = append(d, 0)
		}
	}
	return d
}

// File returns the BMP file: file header, Info(1), Data.
func (s Spec) File() []byte {
	info := s.Info(1)
	off := 14 + len(info)
	f := make([]byte, 14, off+len(s.Data))
	f[0], f[1] = 'B', 'M'
	put32(f[2:], uint32(off+len(s.Data)))
	put32(f[10:], uint32(off))
	f = append(f, info...)
	return append(f, s.Data...)
}

// Icon returns the DIB of an icon entry: Info(2), Data, then the AND mask.
func (s Spec) Icon(andMask []byte) []byte {
	d := append(s.Info(2), s.Data...)
	return append(d, andMask...)
}

// Rows lays out h rows (row(0) is the top one) as stored: each padded to 4
// bytes, bottom row first unless topDown.
func Rows(h int, topDown bool, row func(y int) []byte) []byte {
	var out []byte
	for i := 0; i < h; i++ {
		y := h - 1 - i
		if topDown {
			y = i
		}
		r := row(y)
		out = append(out, r...)
		for n := len(r); n%4 != 0; n++ {
			out = append(out, 0)
		}
	}
	return out
}

// PackIndexes packs palette indexes of bpp bits, most significant first.
func PackIndexes(idx []int, bpp int) []byte {
	out := make([]byte, (len(idx)*bpp+7)/8)
	for x, v := range idx {
		bit := x * bpp
		out[bit/8] |= byte(v) << (8 - bpp - bit%8)
	}
	return out
}

// ICO wraps icon entries (PNG files or DIBs from Icon) in an ICO directory
// with the given directory sizes (0 means 256).
func ICO(dirW, dirH []byte, entries ...[]byte) []byte {
	n := len(entries)
	out := make([]byte, 6+16*n)
	put16(out[2:], 1)
	put16(out[4:], n)
	off := len(out)
	for i, e := range entries {
		d := out[6+16*i:]
		d[0], d[1] = dirW[i], dirH[i]
		put16(d[4:], 1)
		put16(d[6:], 32)
		put32(d[8:], uint32(len(e)))
		put32(d[12:], uint32(off))
		off += len(e)
	}
	for _, e := range entries {
		out = append(out, e...)
	}
	return out
}
