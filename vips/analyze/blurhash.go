package analyze

import (
	"errors"
	"math"
	"strings"
)

// BlurHash encoding (https://blurha.sh, the woltapp/blurhash format): the
// image is projected on nx×ny cosine basis functions in linear light; the
// DC term is stored as an sRGB colour and the AC terms are quantised
// relative to their largest magnitude, all written in base 83.

const base83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

// srgbToLinear maps an 8-bit sRGB value to linear light (a table: the
// encoder looks every channel of every pixel up once per component).
var srgbToLinear = func() (t [256]float64) {
	for i := range t {
		v := float64(i) / 255
		if v <= 0.04045 {
			t[i] = v / 12.92
		} else {
			t[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return t
}()

// linearToSRGB maps linear light in [0,1] (clamped) to an 8-bit value,
// rounding half up as the reference encoder does.
func linearToSRGB(v float64) int {
	v = max(0, min(1, v))
	if v <= 0.0031308 {
		return int(v*12.92*255 + 0.5)
	}
	return int((1.055*math.Pow(v, 1/2.4)-0.055)*255 + 0.5)
}

func appendBase83(sb *strings.Builder, v, digits int) {
	for i := digits - 1; i >= 0; i-- {
		d := v
		for range i {
			d /= 83
		}
		sb.WriteByte(base83[d%83])
	}
}

// BlurHash returns the BlurHash of m with nx×ny components (1..9 each).
// Alpha is ignored, as in the reference encoder: the caller flattens a
// transparent image first if it wants a background colour.
func BlurHash(m *Image, nx, ny int) (string, error) {
	if nx < 1 || nx > 9 || ny < 1 || ny > 9 {
		return "", errors.New("blurhash: components must be in 1..9")
	}
	if m.W < 1 || m.H < 1 || len(m.Pix) < m.W*m.H*4 {
		return "", errors.New("blurhash: empty image")
	}
	return encodeBlur(blurFactors(m, nx, ny), nx, ny, math.Abs), nil
}

// encodeBlur writes the hash of the factors; magnitude measures an AC
// term for the scale (math.Abs; see the test for the TypeScript variant).
func encodeBlur(factors [][3]float64, nx, ny int, magnitude func(float64) float64) string {
	var sb strings.Builder
	sb.Grow(4 + 2*nx*ny)
	appendBase83(&sb, (nx-1)+(ny-1)*9, 1)
	maxVal := 1.0
	if len(factors) > 1 {
		actual := 0.0
		for _, f := range factors[1:] {
			actual = max(actual, magnitude(f[0]), magnitude(f[1]), magnitude(f[2]))
		}
		q := int(max(0, min(82, math.Floor(actual*166-0.5))))
		maxVal = float64(q+1) / 166
		appendBase83(&sb, q, 1)
	} else {
		appendBase83(&sb, 0, 1)
	}
	dc := factors[0]
	appendBase83(&sb, linearToSRGB(dc[0])<<16|linearToSRGB(dc[1])<<8|linearToSRGB(dc[2]), 4)
	for _, f := range factors[1:] {
		v := 0
		for _, c := range f {
			s := c / maxVal
			q := math.Floor(math.Copysign(math.Sqrt(math.Abs(s)), s)*9 + 9.5)
			v = v*19 + int(max(0, min(18, q)))
		}
		appendBase83(&sb, v, 2)
	}
	return sb.String()
}

// blurFactors projects m on the nx×ny cosine basis in linear light.
func blurFactors(m *Image, nx, ny int) [][3]float64 {
	w, h := m.W, m.H
	// Cosine tables per axis and component.
	cx := make([]float64, nx*w)
	for i := range nx {
		for x := range w {
			cx[i*w+x] = math.Cos(math.Pi * float64(i) * float64(x) / float64(w))
		}
	}
	cy := make([]float64, ny*h)
	for j := range ny {
		for y := range h {
			cy[j*h+y] = math.Cos(math.Pi * float64(j) * float64(y) / float64(h))
		}
	}
	factors := make([][3]float64, 0, nx*ny)
	for j := range ny {
		for i := range nx {
			norm := 2.0
			if i == 0 && j == 0 {
				norm = 1
			}
			var r, g, b float64
			// Columns outside, rows inside: the reference's order, so
			// that the sums round the same way.
			for x := range w {
				for y := range h {
					basis := norm * cx[i*w+x] * cy[j*h+y]
					p := m.Pix[(y*w+x)*4:]
					r += basis * srgbToLinear[p[0]]
					g += basis * srgbToLinear[p[1]]
					b += basis * srgbToLinear[p[2]]
				}
			}
			scale := 1 / float64(w*h)
			factors = append(factors, [3]float64{r * scale, g * scale, b * scale})
		}
	}
	return factors
}
