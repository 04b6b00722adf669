package analyze

import (
	"math"
	"sort"
)

// PerceptualHash returns the 64-bit DCT perceptual hash of m: the image
// is reduced to 32×32 grey (box filter, alpha composited over white), the
// 8×8 lowest frequencies of its 2-D DCT are compared with their median,
// and each coefficient above it sets one bit (row by row, most significant
// first). Similar images give hashes a small Hamming distance apart.
func PerceptualHash(m *Image) uint64 {
	const n = 32
	var grey [n * n]float64
	var cnt [n * n]float64
	for y := range m.H {
		gy := y * n / m.H
		for x := range m.W {
			gx := x * n / m.W
			r, g, b, a := m.at(y*m.W + x)
			al := float64(a) / 255
			v := (0.299*float64(r)+0.587*float64(g)+0.114*float64(b))*al + 255*(1-al)
			grey[gy*n+gx] += v
			cnt[gy*n+gx]++
		}
	}
	for i := range grey {
		if cnt[i] > 0 {
			grey[i] /= cnt[i]
		}
	}
	// Separable DCT-II, only the 8 lowest frequencies per axis.
	var cos [8][n]float64
	for u := range 8 {
		for x := range n {
			cos[u][x] = math.Cos(math.Pi / n * (float64(x) + 0.5) * float64(u))
		}
	}
	var rows [n][8]float64
	for y := range n {
		for u := range 8 {
			s := 0.0
			for x := range n {
				s += grey[y*n+x] * cos[u][x]
			}
			rows[y][u] = s
		}
	}
	var low [64]float64
	for v := range 8 {
		for u := range 8 {
			s := 0.0
			for y := range n {
				s += rows[y][u] * cos[v][y]
			}
			low[v*8+u] = s
		}
	}
	sorted := low
	sort.Float64s(sorted[:])
	median := (sorted[31] + sorted[32]) / 2
	var h uint64
	for _, c := range low {
		h <<= 1
		if c > median {
			h |= 1
		}
	}
	return h
}
