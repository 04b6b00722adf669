// Package dssimref is the slow, plainly written DSSIM that the tests of
// vips/analyze and vips check the fast one against: the algorithm that
// vips/analyze/dssim.go describes, written out step by step in float64,
// with the 3×3 kernel applied twice in two dimensions, each plane's
// statistics blurred separately and math.Cbrt. It shares no code with the
// fast version. It is test support only: nothing in the server imports it.
package dssimref

import "math"

// refImage is premultiplied linear-light RGBA.
type refImage struct {
	w, h int
	px   [][4]float64
}

func refLinear(pix []byte, w, h int) refImage {
	out := refImage{w, h, make([][4]float64, w*h)}
	dec := func(v byte) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	for i := range out.px {
		a := float64(pix[i*4+3]) / 255
		out.px[i] = [4]float64{dec(pix[i*4]) * a, dec(pix[i*4+1]) * a, dec(pix[i*4+2]) * a, a}
	}
	return out
}

func refHalf(m refImage) refImage {
	out := refImage{m.w / 2, m.h / 2, make([][4]float64, (m.w/2)*(m.h/2))}
	for y := range out.h {
		for x := range out.w {
			for c := range 4 {
				out.px[y*out.w+x][c] = (m.px[2*y*m.w+2*x][c] + m.px[2*y*m.w+2*x+1][c] +
					m.px[(2*y+1)*m.w+2*x][c] + m.px[(2*y+1)*m.w+2*x+1][c]) / 4
			}
		}
	}
	return out
}

func refLab(m refImage) [3][]float64 {
	var out [3][]float64
	for c := range out {
		out[c] = make([]float64, m.w*m.h)
	}
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t) - 16.0/116
		}
		return t * 24389 / (27 * 116)
	}
	for y := range m.h {
		for x := range m.w {
			p := m.px[y*m.w+x]
			r, g, b, a := p[0], p[1], p[2], p[3]
			if a < 1 {
				n := (x + 11) ^ (y + 11)
				if n&16 != 0 {
					r += 1 - a
				}
				if n&8 != 0 {
					g += 1 - a
				}
				if n&32 != 0 {
					b += 1 - a
				}
			}
			X := f((0.4124*r + 0.3576*g + 0.1805*b) / 0.9505)
			Y := f(0.2126*r + 0.7152*g + 0.0722*b)
			Z := f((0.0193*r + 0.1192*g + 0.9505*b) / 1.089)
			i := y*m.w + x
			out[0][i] = 1.05 * Y
			out[1][i] = (500*(X-Y) + 86.2) / 220
			out[2][i] = (200*(Y-Z) + 107.9) / 220
		}
	}
	return out
}

// refBlur applies the 3×3 kernel twice, neighbours beyond the edge
// replaced by the nearest edge pixel. The kernel's sides are
// √(corner·centre) (0.1180948 for the published 0.118095): separable.
func refBlur(p []float64, w, h int) []float64 {
	corner, centre := 0.095332, 0.146293
	side := math.Sqrt(corner * centre)
	k := [3][3]float64{{corner, side, corner}, {side, centre, side}, {corner, side, corner}}
	once := func(in []float64) []float64 {
		out := make([]float64, len(in))
		for y := range h {
			for x := range w {
				s := 0.0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						yy, xx := min(max(y+dy, 0), h-1), min(max(x+dx, 0), w-1)
						s += k[dy+1][dx+1] * in[yy*w+xx]
					}
				}
				out[y*w+x] = s
			}
		}
		return out
	}
	return once(once(p))
}

// DSSIM returns the DSSIM of b against a, both w×h 8-bit RGBA with
// straight alpha (4 bytes per pixel, no padding).
func DSSIM(a, b []byte, w, h int) float64 {
	weights := []float64{0.028, 0.197, 0.322, 0.298, 0.155}
	ia, ib := refLinear(a, w, h), refLinear(b, w, h)
	total, wsum := 0.0, 0.0
	for n, weight := range weights {
		w, h := ia.w, ia.h
		x, y := refLab(ia), refLab(ib)
		for c := 1; c < 3; c++ {
			x[c], y[c] = refBlur(x[c], w, h), refBlur(y[c], w, h)
		}
		mul := func(p, q []float64) []float64 {
			out := make([]float64, len(p))
			for i := range p {
				out[i] = p[i] * q[i]
			}
			return out
		}
		var mu1, mu2, xx, yy, xy [3][]float64
		for c := range 3 {
			mu1[c], mu2[c] = refBlur(x[c], w, h), refBlur(y[c], w, h)
			xx[c], yy[c], xy[c] = refBlur(mul(x[c], x[c]), w, h), refBlur(mul(y[c], y[c]), w, h), refBlur(mul(x[c], y[c]), w, h)
		}
		ssim := make([]float64, w*h)
		mean := 0.0
		for i := range ssim {
			var m11, m22, m12, s11, s22, s12 float64
			for c := range 3 {
				m11 += mu1[c][i] * mu1[c][i] / 3
				m22 += mu2[c][i] * mu2[c][i] / 3
				m12 += mu1[c][i] * mu2[c][i] / 3
				s11 += (xx[c][i] - mu1[c][i]*mu1[c][i]) / 3
				s22 += (yy[c][i] - mu2[c][i]*mu2[c][i]) / 3
				s12 += (xy[c][i] - mu1[c][i]*mu2[c][i]) / 3
			}
			const c1, c2 = 0.0001, 0.0009
			ssim[i] = (2*m12 + c1) * (2*s12 + c2) / ((m11 + m22 + c1) * (s11 + s22 + c2))
			mean += ssim[i] / float64(len(ssim))
		}
		avg := math.Pow(max(mean, 0), math.Pow(0.5, float64(n)))
		dev := 0.0
		for _, v := range ssim {
			dev += math.Abs(avg-v) / float64(len(ssim))
		}
		total += weight * (1 - dev)
		wsum += weight
		if w < 8 || h < 8 {
			break
		}
		ia, ib = refHalf(ia), refHalf(ib)
	}
	return 1/(total/wsum) - 1
}
