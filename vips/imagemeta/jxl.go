package imagemeta

import "github.com/imgedge/imgedge/options"

const jxlContainerSig = "\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"

// bitReader reads the JPEG XL codestream's LSB-first bit fields; reading
// past the end sets err and yields zeros.
type bitReader struct {
	b   []byte
	pos int // in bits
	err bool
}

func (r *bitReader) u(n int) uint32 {
	var v uint32
	for i := 0; i < n; i++ {
		byteIdx := r.pos >> 3
		if byteIdx >= len(r.b) {
			r.err = true
			return 0
		}
		v |= uint32(r.b[byteIdx]>>(r.pos&7)&1) << i
		r.pos++
	}
	return v
}

func (r *bitReader) bool() bool { return r.u(1) == 1 }

// dist is one U32 distribution: a constant (bits == 0) or bits+offset.
type dist struct{ bits, off int }

func (r *bitReader) u32(d [4]dist) uint32 {
	s := d[r.u(2)]
	return r.u(s.bits) + uint32(s.off)
}

var (
	sizeDist    = [4]dist{{9, 1}, {13, 1}, {18, 1}, {30, 1}}
	previewDiv8 = [4]dist{{0, 16}, {0, 32}, {5, 1}, {9, 33}}
	previewDist = [4]dist{{6, 1}, {8, 65}, {10, 321}, {12, 1345}}
)

// size reads a SizeHeader (or a PreviewHeader when preview is true).
func (r *bitReader) size(preview bool) (w, h uint64) {
	div8 := r.bool()
	dim := func() uint64 {
		switch {
		case preview && div8:
			return 8 * uint64(r.u32(previewDiv8))
		case preview:
			return uint64(r.u32(previewDist))
		case div8:
			return 8 * (uint64(r.u(5)) + 1)
		}
		return uint64(r.u32(sizeDist))
	}
	h = dim()
	ratio := r.u(3)
	if ratio == 0 {
		return dim(), h
	}
	num := [...]uint64{0, 1, 12, 4, 3, 16, 5, 2}
	den := [...]uint64{0, 1, 10, 3, 2, 9, 4, 1}
	return h * num[ratio] / den[ratio], h
}

// probeJXL reads the SizeHeader and the start of ImageMetadata (orientation,
// animation flag, first extra channel as alpha) of a bare codestream or of
// the first jxlc/jxlp box of a container. Animation frames are not counted.
func probeJXL(data []byte) (Meta, error) {
	const f = options.FormatJXL
	cs := data
	if hasPrefix(data, jxlContainerSig) {
		cs = nil
		it := boxIter{d: data[len(jxlContainerSig):]}
		for it.next() {
			if it.box.is("jxlc") {
				cs = it.box.body
				break
			}
			if it.box.is("jxlp") {
				if len(it.box.body) >= 4 {
					cs = it.box.body[4:]
				}
				break
			}
		}
		if !hasPrefix(cs, "\xff\x0a") {
			return Meta{}, broken(f, "no codestream box")
		}
	}
	r := bitReader{b: cs[2:]}
	w, h := r.size(false)
	if r.err {
		return Meta{}, broken(f, "truncated size header")
	}
	if w == 0 || h == 0 {
		return Meta{}, broken(f, "zero dimensions")
	}
	m := Meta{Format: f, Width: clampInt(w), Height: clampInt(h), Frames: 1}
	if r.bool() { // all_default
		return m, nil
	}
	if r.bool() { // extra_fields
		m.Orientation = int(r.u(3)) + 1
		if r.bool() { // have_intr_size
			r.size(false)
		}
		if r.bool() { // have_preview
			r.size(true)
		}
		if r.bool() { // have_animation
			m.Animated = true
			r.u32([4]dist{{0, 100}, {0, 1000}, {10, 1}, {30, 1}}) // tps_numerator
			r.u32([4]dist{{0, 1}, {0, 1001}, {8, 1}, {10, 1}})    // tps_denominator
			r.u32([4]dist{{0, 0}, {3, 0}, {16, 0}, {32, 0}})      // num_loops
			r.bool()                                              // have_timecodes
		}
	}
	if r.bool() { // float_sample
		r.u32([4]dist{{0, 32}, {0, 16}, {0, 24}, {6, 1}})
		r.u(4)
	} else {
		r.u32([4]dist{{0, 8}, {0, 10}, {0, 12}, {6, 1}})
	}
	r.bool() // modular_16_bit_buffer_sufficient
	if r.u32([4]dist{{0, 0}, {0, 1}, {4, 2}, {12, 1}}) > 0 {
		// First ExtraChannelInfo: all-default means alpha; else type 0 is alpha.
		m.HasAlpha = r.bool() || r.u32([4]dist{{0, 0}, {0, 1}, {4, 2}, {6, 18}}) == 0
	}
	if r.err { // header cut short after the size: keep what was read
		m.HasAlpha, m.Animated = false, false
	}
	if m.Orientation < 1 || m.Orientation > 8 {
		m.Orientation = 0
	}
	return m, nil
}
