package imagemeta

import "github.com/imgedge/imgedge/options"

// probeJPEG walks the marker segments from SOI to the first SOS. A valid
// SOF (consistent length, precision, components and non-zero size) must
// come before SOS, and the walk must reach SOS: EOI, an unknown marker or
// the end of data first is an error. This keeps a JPEG signature glued to
// other bytes (type confusion) from yielding garbage dimensions. Segment
// lengths are 16-bit, so a single EXIF segment is bounded by 64 KiB.
// maxJPEGStray bounds the stray bytes tolerated between segments.
const maxJPEGStray = 4096

func probeJPEG(data []byte) (Meta, error) {
	const f = options.FormatJPEG
	m := Meta{Format: f, Frames: 1}
	haveSOF, haveExif := false, false
	stray := 0
	i := 2 // after SOI
	for {
		// Find the next marker. libjpeg skips stray bytes before a marker
		// with a warning; so do we, up to maxJPEGStray in all, as a SOF
		// still has to validate.
		for i < len(data) && data[i] != 0xff {
			i++
			if stray++; stray > maxJPEGStray {
				return Meta{}, broken(f, "too many stray bytes between segments")
			}
		}
		for i < len(data) && data[i] == 0xff { // fill bytes
			i++
		}
		if i >= len(data) {
			return Meta{}, broken(f, "truncated before start of scan")
		}
		marker := data[i]
		i++
		switch {
		case marker == 0xd8 || marker == 0x00:
			return Meta{}, broken(f, "unexpected marker 0x%02x", marker)
		case marker == 0xd9:
			return Meta{}, broken(f, "end of image before start of scan")
		case marker >= 0xd0 && marker <= 0xd7, marker == 0x01: // RSTn, TEM: no length
			continue
		}
		if !knownJPEGMarker(marker) {
			return Meta{}, broken(f, "unknown marker 0x%02x", marker)
		}
		if i+2 > len(data) {
			return Meta{}, broken(f, "truncated segment 0x%02x", marker)
		}
		n := int(be16(data[i:]))
		if n < 2 || i+n > len(data) {
			return Meta{}, broken(f, "bad length %d of segment 0x%02x", n, marker)
		}
		seg := data[i+2 : i+n]
		i += n
		switch {
		case marker == 0xda: // SOS
			if !haveSOF {
				return Meta{}, broken(f, "start of scan before start of frame")
			}
			return m, nil
		case isSOF(marker):
			if haveSOF {
				return Meta{}, broken(f, "second start of frame")
			}
			if err := parseSOF(seg, &m); err != nil {
				return Meta{}, err
			}
			m.Progressive = marker&3 == 2 // SOF2, SOF6, SOF10, SOF14
			haveSOF = true
		case marker == 0xe1 && !haveExif && hasPrefix(seg, "Exif\x00\x00"):
			haveExif = true
			m.Orientation = exifOrientation(seg[6:])
		}
	}
}

// knownJPEGMarker lists the markers libjpeg accepts in the header; any
// other one is a fatal "unknown marker" there too.
func knownJPEGMarker(m byte) bool {
	return m >= 0xc0 && m <= 0xcf || // SOFn, DHT, JPG, DAC
		m >= 0xda && m <= 0xdd || // SOS, DQT, DNL, DRI
		m >= 0xe0 && m <= 0xef || // APPn
		m == 0xfe // COM
}

func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

func parseSOF(seg []byte, m *Meta) error {
	const f = options.FormatJPEG
	if len(seg) < 6 {
		return broken(f, "short start of frame")
	}
	prec, h, w, nc := seg[0], be16(seg[1:]), be16(seg[3:]), int(seg[5])
	if prec < 2 || prec > 16 {
		return broken(f, "bad sample precision %d", prec)
	}
	if nc < 1 || nc > 4 || len(seg) != 6+3*nc {
		return broken(f, "bad component count %d", nc)
	}
	for c := 0; c < nc; c++ {
		s := seg[6+3*c+1]
		hs, vs := s>>4, s&15
		if hs < 1 || hs > 4 || vs < 1 || vs > 4 || seg[6+3*c+2] > 3 {
			return broken(f, "bad component %d", c)
		}
	}
	// Height 0 means "defined by a DNL marker", which libjpeg rejects.
	if w == 0 || h == 0 {
		return broken(f, "zero dimension %dx%d", w, h)
	}
	m.Width, m.Height = int(w), int(h)
	m.Channels, m.BitDepth = nc, int(prec)
	m.Blocks = jpegBlocks(seg[6:], nc, int64(w), int64(h))
	return nil
}

// jpegBlocks counts the DCT blocks of all nc components (comps: 3 bytes
// each, sampling factors in the second) of a w×h image the way libjpeg
// sizes its coefficient arrays: a component spans ceil(w·h_i/h_max)
// pixels, i.e. ceil(that/8) blocks, rounded up to a multiple of h_i (and
// the same vertically).
func jpegBlocks(comps []byte, nc int, w, h int64) int64 {
	var hmax, vmax int64 = 1, 1
	for c := range nc {
		s := comps[3*c+1]
		hmax, vmax = max(hmax, int64(s>>4)), max(vmax, int64(s&15))
	}
	var n int64
	for c := range nc {
		s := comps[3*c+1]
		hs, vs := int64(s>>4), int64(s&15)
		bw := ceilDiv(ceilDiv(w*hs, hmax), 8)
		bh := ceilDiv(ceilDiv(h*vs, vmax), 8)
		n += ceilDiv(bw, hs) * hs * ceilDiv(bh, vs) * vs
	}
	return n
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
