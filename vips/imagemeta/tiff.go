package imagemeta

import "github.com/imgedge/imgedge/options"

// maxIFDEntries caps the entries read from one IFD (real files have < 100).
const maxIFDEntries = 4096

// tiffIFD is a reader over a TIFF structure (a TIFF file or an EXIF block).
type tiffIFD struct {
	data []byte
	le   bool
	big  bool // BigTIFF: 8-byte offsets and counts, 20-byte entries
}

func (t *tiffIFD) u16(b []byte) uint32 {
	if t.le {
		return le16(b)
	}
	return be16(b)
}

func (t *tiffIFD) u32(b []byte) uint32 {
	if t.le {
		return le32(b)
	}
	return be32(b)
}

func (t *tiffIFD) u64(b []byte) uint64 {
	if t.le {
		return uint64(le32(b[4:]))<<32 | uint64(le32(b))
	}
	return be64(b)
}

// header parses the byte order mark and returns the offset of IFD0.
func (t *tiffIFD) header() (uint64, bool) {
	d := t.data
	if len(d) < 8 {
		return 0, false
	}
	switch string(d[:2]) {
	case "II":
		t.le = true
	case "MM":
		t.le = false
	default:
		return 0, false
	}
	switch t.u16(d[2:]) {
	case 42:
		return uint64(t.u32(d[4:])), true
	case 43:
		if len(d) < 16 || t.u16(d[4:]) != 8 || t.u16(d[6:]) != 0 {
			return 0, false
		}
		t.big = true
		return t.u64(d[8:]), true
	}
	return 0, false
}

// walk calls fn for each entry of the IFD at off with the tag, type, count
// and the first value as an integer (SHORT, LONG, LONG8 or BYTE stored
// inline, or the first SHORT of an array stored elsewhere; other types
// give val 0). It returns false when the IFD is out of bounds.
func (t *tiffIFD) walk(off uint64, fn func(tag, typ uint32, count, val uint64)) bool {
	d := t.data
	countSize, entrySize := uint64(2), uint64(12)
	if t.big {
		countSize, entrySize = 8, 20
	}
	if off < 8 || off > uint64(len(d)) || uint64(len(d))-off < countSize {
		return false
	}
	var n uint64
	if t.big {
		n = t.u64(d[off:])
	} else {
		n = uint64(t.u16(d[off:]))
	}
	p := off + countSize
	if n > maxIFDEntries {
		n = maxIFDEntries
	}
	if avail := (uint64(len(d)) - p) / entrySize; n > avail {
		n = avail // tolerate truncated IFDs as libtiff does; the caller checks what it found
	}
	for k := uint64(0); k < n; k++ {
		e := d[p+k*entrySize:]
		tag, typ := t.u16(e), t.u16(e[2:])
		var count uint64
		v := e[8:]
		if t.big {
			count = t.u64(e[4:])
			v = e[12:]
		} else {
			count = uint64(t.u32(e[4:]))
		}
		var val uint64
		switch typ {
		case 1: // BYTE
			val = uint64(v[0])
		case 3: // SHORT
			val = uint64(t.u16(v))
			inline, off := uint64(4), uint64(0)
			if t.big {
				inline, off = 8, t.u64(v)
			} else {
				off = uint64(t.u32(v))
			}
			if count*2 > inline { // an array stored at off
				val = t.shortAt(off)
			}
		case 4: // LONG
			val = uint64(t.u32(v))
		case 16: // LONG8
			if t.big {
				val = t.u64(v)
			}
		}
		fn(tag, typ, count, val)
	}
	return true
}

// shortAt reads the SHORT at offset off, 0 when out of bounds.
func (t *tiffIFD) shortAt(off uint64) uint64 {
	if off > uint64(len(t.data)) || uint64(len(t.data))-off < 2 {
		return 0
	}
	return uint64(t.u16(t.data[off:]))
}

// exifOrientation reads tag 0x0112 from IFD0 of an EXIF TIFF block;
// 0 when missing or outside 1..8.
func exifOrientation(tiff []byte) int {
	t := tiffIFD{data: tiff}
	off, ok := t.header()
	if !ok || t.big {
		return 0
	}
	o := 0
	t.walk(off, func(tag, typ uint32, count, val uint64) {
		if tag == 0x0112 && typ == 3 && count >= 1 && val >= 1 && val <= 8 && o == 0 {
			o = int(val)
		}
	})
	return o
}

// probeTIFF reads the first IFD: ImageWidth, ImageLength, SamplesPerPixel,
// ExtraSamples and Orientation. Later pages are not counted (libvips loads
// page 0 unless asked otherwise).
func probeTIFF(data []byte) (Meta, error) {
	const f = options.FormatTIFF
	t := tiffIFD{data: data}
	off, ok := t.header()
	if !ok {
		return Meta{}, broken(f, "bad header")
	}
	var w, h uint64
	m := Meta{Format: f, Frames: 1}
	if !t.walk(off, func(tag, typ uint32, count, val uint64) {
		switch tag {
		case 256:
			w = val
		case 257:
			h = val
		case 338: // ExtraSamples: 1 associated or 2 unassociated alpha
			if count >= 1 && (val == 1 || val == 2) {
				m.HasAlpha = true
			}
		case 274:
			if typ == 3 && val >= 1 && val <= 8 {
				m.Orientation = int(val)
			}
		case 277: // SamplesPerPixel
			m.Channels = int(min(val, 64))
		case 258: // BitsPerSample (the first sample's)
			m.BitDepth = int(min(val, 64))
		case 262: // PhotometricInterpretation 3 = palette
			m.Palette = val == 3
		}
	}) {
		return Meta{}, broken(f, "first directory out of bounds")
	}
	if w == 0 || h == 0 {
		return Meta{}, broken(f, "missing or zero dimensions")
	}
	m.Width, m.Height = clampInt(w), clampInt(h)
	if m.Channels == 0 {
		m.Channels = 1 // the TIFF default
	}
	if m.BitDepth == 0 {
		m.BitDepth = 1
	}
	return m, nil
}
