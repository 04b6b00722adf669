package imagemeta

import "github.com/imgedge/imgedge/options"

// probeWebP reads the first chunk: VP8 (lossy key frame header), VP8L
// (lossless header with its alpha hint) or VP8X (extended: canvas size and
// flags). For VP8X it walks the chunks (each at least 8 bytes, so linear)
// to count ANMF frames up to MaxFrames, find ALPH and read EXIF
// orientation; the walk stays within the RIFF size.
func probeWebP(data []byte) (Meta, error) {
	const f = options.FormatWebP
	riff := uint64(le32(data[4:])) + 8
	if riff < 20 {
		return Meta{}, broken(f, "bad RIFF size")
	}
	if riff < uint64(len(data)) {
		data = data[:riff]
	}
	d := data[12:]
	if len(d) < 8 {
		return Meta{}, broken(f, "truncated first chunk")
	}
	n := uint64(le32(d[4:]))
	body := d[8:]
	if n < uint64(len(body)) {
		body = body[:n]
	}
	m := Meta{Format: f, Frames: 1}
	switch string(d[:4]) {
	case "VP8 ":
		return m, parseVP8(body, &m)
	case "VP8L":
		return m, parseVP8L(body, &m)
	case "VP8X":
	default:
		return Meta{}, broken(f, "unknown first chunk %q", d[:4])
	}
	if len(body) < 10 {
		return Meta{}, broken(f, "truncated VP8X")
	}
	flags := body[0]
	m.Width, m.Height = int(le24(body[4:]))+1, int(le24(body[7:]))+1
	m.HasAlpha = flags&0x10 != 0
	anim := flags&0x02 != 0
	frames, image := 0, false
	p := 8 + ((n + 1) &^ 1) // first chunk after VP8X
	for p+8 <= uint64(len(d)) && frames < MaxFrames {
		cn := uint64(le32(d[p+4:]))
		cbody := d[p+8:]
		if cn < uint64(len(cbody)) {
			cbody = cbody[:cn]
		}
		switch string(d[p : p+4]) {
		case "ANMF":
			frames++
		case "VP8 ", "VP8L":
			image = true
		case "EXIF":
			if m.Orientation == 0 {
				e := cbody
				if hasPrefix(e, "Exif\x00\x00") { // some writers keep the JPEG APP1 prefix
					e = e[6:]
				}
				m.Orientation = exifOrientation(e)
			}
		}
		p += 8 + ((cn + 1) &^ 1)
	}
	switch {
	case anim && frames == 0:
		return Meta{}, broken(f, "animation without frames")
	case !anim && !image:
		return Meta{}, broken(f, "no image data")
	case anim:
		m.Frames, m.Animated = frames, frames > 1
	}
	return m, nil
}

// parseVP8 reads the key frame header of a lossy bitstream: a 3-byte frame
// tag, the start code 9d 01 2a and two 14-bit dimensions.
func parseVP8(b []byte, m *Meta) error {
	const f = options.FormatWebP
	if len(b) < 10 {
		return broken(f, "truncated VP8 header")
	}
	if b[0]&1 != 0 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return broken(f, "bad VP8 key frame")
	}
	m.Width, m.Height = int(le16(b[6:])&0x3fff), int(le16(b[8:])&0x3fff)
	if m.Width == 0 || m.Height == 0 {
		return broken(f, "zero dimensions")
	}
	return nil
}

// parseVP8L reads the lossless header: signature 0x2f, 14-bit width-1,
// 14-bit height-1, the alpha_is_used bit and a 3-bit version that must be 0.
func parseVP8L(b []byte, m *Meta) error {
	const f = options.FormatWebP
	if len(b) < 5 || b[0] != 0x2f {
		return broken(f, "bad VP8L header")
	}
	v := le32(b[1:])
	if v>>29 != 0 {
		return broken(f, "bad VP8L version")
	}
	m.Width, m.Height = int(v&0x3fff)+1, int(v>>14&0x3fff)+1
	m.HasAlpha = v>>28&1 != 0
	return nil
}
