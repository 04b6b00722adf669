package imagemeta

import (
	"bytes"

	"github.com/imgedge/imgedge/options"
)

// maxBoxes caps the boxes visited in one ISO-BMFF container level and
// maxIpmaEntries the item associations read; both are far above what an
// AVIF/HEIC writer produces.
const (
	maxBoxes       = 4096
	maxIpmaEntries = 4096
)

// box is one ISO-BMFF box: its type and its body (clipped to the data;
// truncated says the declared size ran past the end).
type box struct {
	typ       [4]byte
	body      []byte
	truncated bool
}

func (b *box) is(typ string) bool { return string(b.typ[:]) == typ }

// boxIter walks the boxes of d, at most maxBoxes. A box whose declared
// size runs past the end is returned clipped and truncated, and ends the
// walk. It is a plain iterator (no callbacks) so that probing does not
// allocate.
type boxIter struct {
	d   []byte
	n   int
	box box
}

func (it *boxIter) next() bool {
	d := it.d
	if it.n >= maxBoxes || len(d) < 8 {
		return false
	}
	it.n++
	size := uint64(be32(d))
	copy(it.box.typ[:], d[4:8])
	hdr := uint64(8)
	switch size {
	case 0:
		size = uint64(len(d))
	case 1:
		if len(d) < 16 {
			return false
		}
		size, hdr = be64(d[8:]), 16
	}
	if size < hdr {
		return false
	}
	end := size
	it.box.truncated = end > uint64(len(d))
	if it.box.truncated {
		end = uint64(len(d))
	}
	it.box.body = d[hdr:end]
	it.d = d[end:]
	return true
}

// findBox returns the first box of the given type in d.
func findBox(d []byte, typ string) (box, bool) {
	it := boxIter{d: d}
	for it.next() {
		if it.box.is(typ) {
			return it.box, true
		}
	}
	return box{}, false
}

// property returns the idx-th (1-based) box of an ipco body.
func property(ipco []byte, idx int) (box, bool) {
	it := boxIter{d: ipco}
	for idx >= 1 && it.next() {
		if idx--; idx == 0 {
			return it.box, true
		}
	}
	return box{}, false
}

// probeISOBMFF classifies by the ftyp brands (avif/avis → AVIF; heic,
// heix, heim, heis, hevc, hevx, mif1, msf1 → HEIC; anything else, e.g.
// MP4, is not an image) and reads the primary item's ispe (image spatial
// extents) via pitm and ipma, falling back to the largest ispe. An irot of
// 90° or 270° on the primary item swaps the reported dimensions, as libheif
// applies it when decoding; Orientation stays 0 for the same reason.
// Image sequences are reported as one frame (libvips 8.14 loads items, not
// tracks).
func probeISOBMFF(data []byte) (Meta, error) {
	ftypBox, _ := findBox(data, "ftyp")
	ftyp := ftypBox.body
	if len(ftyp) < 8 {
		return Meta{}, options.Errorf(options.KindInvalidImage, "bad ftyp box")
	}
	var f options.Format
	for i := 0; i+4 <= len(ftyp); i += 4 {
		if i == 4 {
			continue // minor version
		}
		switch string(ftyp[i : i+4]) {
		case "avif", "avis":
			f = options.FormatAVIF
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			if f == options.FormatUnknown {
				f = options.FormatHEIC
			}
		}
	}
	if f == options.FormatUnknown {
		return Meta{}, options.Errorf(options.KindInvalidImage, "unknown ftyp brand %q", ftyp[:4])
	}
	metaBox, ok := findBox(data, "meta")
	if !ok || len(metaBox.body) < 4 {
		return Meta{}, broken(f, "missing meta box")
	}
	if metaBox.truncated {
		return Meta{}, broken(f, "truncated meta box")
	}
	var primary uint32
	hasPrimary := false
	var ipco, ipma []byte
	it := boxIter{d: metaBox.body[4:]} // after FullBox version and flags
	for it.next() {
		b := &it.box
		switch {
		case b.is("pitm"):
			if len(b.body) >= 6 && b.body[0] == 0 {
				primary, hasPrimary = be16(b.body[4:]), true
			} else if len(b.body) >= 8 {
				primary, hasPrimary = be32(b.body[4:]), true
			}
		case b.is("iprp"):
			c, _ := findBox(b.body, "ipco")
			ipco = c.body
			a, _ := findBox(b.body, "ipma")
			ipma = a.body
		}
	}
	m := Meta{Format: f, Frames: 1}
	var w, h uint32
	it = boxIter{d: ipco}
	for it.next() {
		p := &it.box
		switch {
		case p.is("ispe") && len(p.body) >= 12:
			pw, ph := be32(p.body[4:]), be32(p.body[8:])
			if uint64(pw)*uint64(ph) > uint64(w)*uint64(h) {
				w, h = pw, ph
			}
		case p.is("auxC") && len(p.body) > 4:
			if bytes.Contains(p.body[4:], []byte("alpha")) || bytes.HasPrefix(p.body[4:], []byte("urn:mpeg:hevc:2015:auxid:1\x00")) {
				m.HasAlpha = true
			}
		}
	}
	if hasPrimary {
		var pw, ph uint32
		rot := false
		a := ipmaAssoc{ipma: ipma, item: primary}
		for a.next() {
			p, ok := property(ipco, a.idx)
			switch {
			case !ok:
			case p.is("ispe") && len(p.body) >= 12:
				pw, ph = be32(p.body[4:]), be32(p.body[8:])
			case p.is("irot") && len(p.body) >= 1:
				rot = p.body[0]&1 != 0
			}
		}
		if pw != 0 && ph != 0 {
			w, h = pw, ph
			if rot {
				w, h = h, w
			}
		}
	}
	if w == 0 || h == 0 {
		return Meta{}, broken(f, "no image spatial extents")
	}
	m.Width, m.Height = int(w), int(h)
	return m, nil
}

// ipmaAssoc iterates over the property indices associated with item in
// an ipma box body (idx after each successful next).
type ipmaAssoc struct {
	ipma []byte
	item uint32
	idx  int

	started bool
	p       []byte // the item's association list
	size    int    // 1 or 2 bytes per association
}

func (a *ipmaAssoc) next() bool {
	if !a.started {
		a.started = true
		a.find()
	}
	if len(a.p) < a.size || a.size == 0 {
		return false
	}
	if a.size == 2 {
		a.idx = int(be16(a.p) & 0x7fff)
	} else {
		a.idx = int(a.p[0] & 0x7f)
	}
	a.p = a.p[a.size:]
	return true
}

// find locates the item's entry and sets p and size.
func (a *ipmaAssoc) find() {
	if len(a.ipma) < 8 {
		return
	}
	version, flags := a.ipma[0], a.ipma[3]
	n := be32(a.ipma[4:])
	p := a.ipma[8:]
	if n > maxIpmaEntries {
		n = maxIpmaEntries
	}
	size := 1
	if flags&1 != 0 {
		size = 2
	}
	for ; n > 0; n-- {
		var id uint32
		if version < 1 {
			if len(p) < 3 {
				return
			}
			id, p = be16(p), p[2:]
		} else {
			if len(p) < 5 {
				return
			}
			id, p = be32(p), p[4:]
		}
		cnt := int(p[0])
		p = p[1:]
		if len(p) < cnt*size {
			return
		}
		if id == a.item {
			a.p, a.size = p[:cnt*size], size
			return
		}
		p = p[cnt*size:]
	}
}
