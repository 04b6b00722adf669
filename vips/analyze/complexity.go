package analyze

import "math"

// Complexity measures how varied m's colours are, for the best-format
// choice (IMGPROXY_BEST_FORMAT_COMPLEXITY_THRESHOLD): the Shannon entropy,
// in bits, of its colours (composited over white) quantised to 5 bits per
// channel. Graphics with a few flat colours and anti-aliased edges score
// around 1–4, photographs 8 and more.
func Complexity(m *Image) float64 {
	hist := make(map[uint16]int, 1024)
	n := m.W * m.H
	for i := range n {
		r, g, b, a := m.at(i)
		al := int(a)
		over := func(c byte) uint16 { return uint16((int(c)*al + 255*(255-al)) / 255 >> 3) }
		hist[over(r)<<10|over(g)<<5|over(b)]++
	}
	e := 0.0
	for _, c := range hist {
		p := float64(c) / float64(n)
		e -= p * math.Log2(p)
	}
	return e
}

// CountColours returns the number of distinct RGBA values in m, counting
// no further than limit+1.
func CountColours(m *Image, limit int) int {
	seen := make(map[uint32]struct{}, min(limit+1, 1024))
	for i := range m.W * m.H {
		p := m.Pix[i*4 : i*4+4 : i*4+4]
		seen[uint32(p[0])<<24|uint32(p[1])<<16|uint32(p[2])<<8|uint32(p[3])] = struct{}{}
		if len(seen) > limit {
			break
		}
	}
	return len(seen)
}
