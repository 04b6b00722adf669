package analyze

import (
	"errors"
	"math"
)

// DSSIM measures how much a compressed rendering b differs from the
// original a (same size), for autoquality (docs/options.md
// "Autoquality"). What is computed, exactly:
//
//  1. Both images are composited over white (straight alpha), and each
//     pixel is reduced to its luma Y' = 0.2126 R' + 0.7152 G' + 0.0722 B'
//     on the 8-bit gamma-encoded values (0..255).
//  2. SSIM per pixel (Wang et al. 2004) with the standard constants
//     C1 = (0.01·255)², C2 = (0.03·255)² and an 11×11 Gaussian window
//     with σ = 1.5, the window clipped at the image edges (normalised by
//     the weights inside).
//  3. The mean SSIM over all pixels is mapped to DSSIM = 1/SSIM − 1: 0
//     for identical images, growing without bound as they differ.
//
// The mapping is the one the dssim tool reports; that tool also measures
// colour and coarser scales, so its values are close to these for typical
// compression artefacts but not identical. Values around 0.001–0.003 are
// hard to see, 0.02 is clearly visible on close inspection.
func DSSIM(a, b *Image) (float64, error) {
	if a.W != b.W || a.H != b.H {
		return 0, errors.New("dssim: images differ in size")
	}
	w, h := a.W, a.H
	if w < 1 || h < 1 || len(a.Pix) < w*h*4 || len(b.Pix) < w*h*4 {
		return 0, errors.New("dssim: empty image")
	}
	n := w * h
	x, y := luma(a), luma(b)
	xx, yy, xy := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		xx[i], yy[i], xy[i] = x[i]*x[i], y[i]*y[i], x[i]*y[i]
	}
	tmp := make([]float32, n)
	for _, c := range [][]float32{x, y, xx, yy, xy} {
		gaussBlur(c, tmp, w, h)
	}
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	sum := 0.0
	for i := range n {
		mx, my := float64(x[i]), float64(y[i])
		sx := float64(xx[i]) - mx*mx
		sy := float64(yy[i]) - my*my
		sxy := float64(xy[i]) - mx*my
		sum += (2*mx*my + c1) * (2*sxy + c2) / ((mx*mx + my*my + c1) * (sx + sy + c2))
	}
	ssim := sum / float64(n)
	if ssim <= 0 {
		return math.Inf(1), nil
	}
	return 1/ssim - 1, nil
}

// luma returns Y' of m over white, as float32.
func luma(m *Image) []float32 {
	out := make([]float32, m.W*m.H)
	for i := range out {
		r, g, b, a := m.at(i)
		al := float32(a) / 255
		y := 0.2126*float32(r) + 0.7152*float32(g) + 0.0722*float32(b)
		out[i] = y*al + 255*(1-al)
	}
	return out
}

// gaussKernel is the 11-tap Gaussian (σ = 1.5) of SSIM.
var gaussKernel = func() (k [11]float32) {
	s := 0.0
	var f [11]float64
	for i := range f {
		d := float64(i - 5)
		f[i] = math.Exp(-d * d / (2 * 1.5 * 1.5))
		s += f[i]
	}
	for i := range k {
		k[i] = float32(f[i] / s)
	}
	return k
}()

// gaussBlur filters c in place (rows, then columns) with gaussKernel,
// renormalising the taps that fall outside the image; tmp is scratch of
// the same size.
func gaussBlur(c, tmp []float32, w, h int) {
	// Edge weights: the kernel mass inside the image for a pixel d from
	// the edge (d < 5); interior pixels have mass 1.
	var edge [5]float32
	for d := range 5 {
		for k := 5 - d; k < 11; k++ {
			edge[d] += gaussKernel[k]
		}
	}
	norm := func(i, n int) float32 {
		m := float32(1)
		if i < 5 {
			m -= 1 - edge[i]
		}
		if n-1-i < 5 {
			m -= 1 - edge[n-1-i]
		}
		return m
	}
	for y := range h {
		row, out := c[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range w {
			var s float32
			lo, hi := max(0, x-5), min(w-1, x+5)
			for j := lo; j <= hi; j++ {
				s += row[j] * gaussKernel[j-x+5]
			}
			if x < 5 || x > w-6 {
				s /= norm(x, w)
			}
			out[x] = s
		}
	}
	for y := range h {
		lo, hi := max(0, y-5), min(h-1, y+5)
		out := c[y*w : (y+1)*w]
		clear(out)
		for j := lo; j <= hi; j++ {
			k := gaussKernel[j-y+5]
			src := tmp[j*w : (j+1)*w]
			for x := range w {
				out[x] += src[x] * k
			}
		}
		if y < 5 || y > h-6 {
			d := norm(y, h)
			for x := range w {
				out[x] /= d
			}
		}
	}
}

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
