package analyze

import (
	"errors"
	"math"
)

// ThumbHash encoding (https://evanw.github.io/thumbhash/): the image is
// converted to luminance, two chroma channels (yellow-blue and red-green)
// and alpha, composited over its average colour; each channel is reduced
// to a few DCT coefficients, and the DC terms, scales and 4-bit AC terms
// are packed into a byte string of about 25 bytes.

// MaxThumbHashSide is the largest side ThumbHash accepts: larger images
// give no better hash and cost more.
const MaxThumbHashSide = 100

// ThumbHash returns the ThumbHash bytes of m (at most 100×100 pixels).
func ThumbHash(m *Image) ([]byte, error) {
	w, h := m.W, m.H
	if w < 1 || h < 1 || w > MaxThumbHashSide || h > MaxThumbHashSide || len(m.Pix) < w*h*4 {
		return nil, errors.New("thumbhash: the image must be 1..100 pixels on each side")
	}
	n := w * h
	// Average colour, weighted by alpha.
	var ar, ag, ab, aa float64
	for i := range n {
		r, g, b, a := m.at(i)
		alpha := float64(a) / 255
		ar += alpha / 255 * float64(r)
		ag += alpha / 255 * float64(g)
		ab += alpha / 255 * float64(b)
		aa += alpha
	}
	if aa > 0 {
		ar, ag, ab = ar/aa, ag/aa, ab/aa
	}
	hasAlpha := aa < float64(n)
	lLimit := 7.0
	if hasAlpha {
		lLimit = 5 // fewer luminance terms leave room for alpha
	}
	longest := float64(max(w, h))
	lx := max(1, int(jsRound(lLimit*float64(w)/longest)))
	ly := max(1, int(jsRound(lLimit*float64(h)/longest)))

	lc, pc, qc, alc := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		r8, g8, b8, a8 := m.at(i)
		alpha := float64(a8) / 255
		r := ar*(1-alpha) + alpha/255*float64(r8)
		g := ag*(1-alpha) + alpha/255*float64(g8)
		b := ab*(1-alpha) + alpha/255*float64(b8)
		lc[i] = (r + g + b) / 3
		pc[i] = (r+g)/2 - b
		qc[i] = r - g
		alc[i] = alpha
	}
	lDC, lAC, lScale := thumbChannel(lc, w, h, max(3, lx), max(3, ly))
	pDC, pAC, pScale := thumbChannel(pc, w, h, 3, 3)
	qDC, qAC, qScale := thumbChannel(qc, w, h, 3, 3)
	var aDC, aScale float64
	var aAC []float64
	if hasAlpha {
		aDC, aAC, aScale = thumbChannel(alc, w, h, 5, 5)
	}
	landscape := w > h
	header24 := uint32(jsRound(63*lDC)) | uint32(jsRound(31.5+31.5*pDC))<<6 |
		uint32(jsRound(31.5+31.5*qDC))<<12 | uint32(jsRound(31*lScale))<<18
	if hasAlpha {
		header24 |= 1 << 23
	}
	side := lx
	if landscape {
		side = ly
	}
	header16 := uint32(side) | uint32(jsRound(63*pScale))<<3 | uint32(jsRound(63*qScale))<<9
	if landscape {
		header16 |= 1 << 15
	}
	out := []byte{byte(header24), byte(header24 >> 8), byte(header24 >> 16), byte(header16), byte(header16 >> 8)}
	if hasAlpha {
		out = append(out, byte(jsRound(15*aDC))|byte(jsRound(15*aScale))<<4)
	}
	start := len(out)
	k := 0
	for _, ac := range [][]float64{lAC, pAC, qAC, aAC} {
		for _, f := range ac {
			at := start + k>>1
			for len(out) <= at {
				out = append(out, 0)
			}
			out[at] |= byte(jsRound(15*f)) << ((k & 1) * 4)
			k++
		}
	}
	return out, nil
}

// thumbChannel returns the DC term, the AC terms normalised to [0,1] and
// their scale for one channel, with the triangle of nx×ny coefficients
// ThumbHash keeps (cx*ny < nx*(ny-cy)).
func thumbChannel(ch []float64, w, h, nx, ny int) (dc float64, ac []float64, scale float64) {
	fx := make([]float64, w)
	for cy := range ny {
		for cx := 0; cx*ny < nx*(ny-cy); cx++ {
			for x := range w {
				fx[x] = math.Cos(math.Pi / float64(w) * float64(cx) * (float64(x) + 0.5))
			}
			f := 0.0
			for y := range h {
				fy := math.Cos(math.Pi / float64(h) * float64(cy) * (float64(y) + 0.5))
				for x := range w {
					f += ch[x+y*w] * fx[x] * fy
				}
			}
			f /= float64(w * h)
			if cx > 0 || cy > 0 {
				ac = append(ac, f)
				scale = max(scale, math.Abs(f))
			} else {
				dc = f
			}
		}
	}
	if scale > 0 {
		for i := range ac {
			ac[i] = 0.5 + 0.5/scale*ac[i]
		}
	}
	return dc, ac, scale
}
