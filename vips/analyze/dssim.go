package analyze

import (
	"errors"
	"math"
	"sync"
)

// DSSIM here is the structural dissimilarity of the dssim tool
// (github.com/kornelski/dssim, version 3.5), which imgproxy's autoquality
// targets are expressed in; docs/options.md "Autoquality" describes it for
// users. imgedge's own implementation of that published algorithm:
//
//   - Colour: 8-bit sRGB is decoded to linear light (the sRGB curve) with
//     alpha premultiplied. A pixel that is not opaque gets 1−alpha added to
//     each of its channels that a block pattern selects: bit 4 of
//     (x+11) XOR (y+11) for red, bit 3 for green, bit 5 for blue (x, y at
//     the current scale), so transparency differences show against black
//     and white. Linear RGB goes to XYZ (sRGB primaries, D65 white
//     0.9505/1/1.089) and on to L*a*b* with the CIE cube-root function f,
//     scaled into about 0..1: L = 1.05·(f(Y)−16/116),
//     a = (500·(f(X)−f(Y)) + 86.2)/220, b = (200·(f(Y)−f(Z)) + 107.9)/220.
//   - Scales: up to five, full size first, each half the previous one
//     (2×2 averages in premultiplied linear light, odd rows and columns
//     dropped); a scale narrower or lower than 8 pixels is not halved
//     again. Their weights are 0.028, 0.197, 0.322, 0.298 and 0.155; when
//     the image is too small for all five, only the scales present count.
//   - Local statistics: a 3×3 kernel (0.095332 in the corners, 0.118095 on
//     the sides, 0.146293 in the centre) applied twice, pixels beyond the
//     edge repeating the edge. The a and b planes are blurred once with it
//     before anything else (colour is seen at a lower resolution).
//   - SSIM per pixel from the means, variances and covariance of the three
//     planes averaged over the planes, with C1 = 0.01² and C2 = 0.03².
//   - Pooling per scale n (0 = full size): with m the mean of the SSIM map
//     raised to the power 0.5ⁿ, the scale scores 1 − mean|m − SSIM|.
//   - The result is 1/S − 1 for S the weighted mean of the scale scores: 0
//     for identical images, unbounded above.
//
// The computation is separable (the double 3×3 pass is one 5-tap filter
// per axis with the edges mirrored), sums the three planes before blurring
// the squares and cross products (the average over planes is linear), and
// keeps float32 planes in pooled scratch memory. These change nothing but
// rounding; analyze's tests compare it with a direct, slow rendering of the
// steps above.

// dssimWeights are the per-scale weights, full size first.
var dssimWeights = [...]float64{0.028, 0.197, 0.322, 0.298, 0.155}

const (
	dssimC1 = 0.01 * 0.01
	dssimC2 = 0.03 * 0.03
	// dssimMinSide: a scale with a side below it is the last one.
	dssimMinSide = 8
)

// The 1-D factors of the 3×3 kernel (the kernel is their outer product):
// side s = √0.095332, centre c = √0.146293. Applying [s c s] twice is
// the 5-tap [s², 2sc, 2s²+c², 2sc, s²].
var blurK0, blurK1, blurK2 = func() (k0, k1, k2 float32) {
	s, c := math.Sqrt(0.095332), math.Sqrt(0.146293)
	return float32(s * s), float32(2 * s * c), float32(2*s*s + c*c)
}()

// DSSIM returns the DSSIM of b against the reference a (same size); see
// the algorithm above. To compare several renderings with one reference,
// use NewDSSIMReference.
func DSSIM(a, b *Image) (float64, error) {
	r, err := NewDSSIMReference(a)
	if err != nil {
		return 0, err
	}
	defer r.Release()
	return r.Compare(b)
}

// DSSIMReference is a reference image prepared for DSSIM comparisons (its
// pyramid, L*a*b* planes and local statistics). Compare may be called any
// number of times, but not concurrently; Release returns its memory to a
// pool, after which it must not be used. It keeps no reference to the
// Image it was made from.
type DSSIMReference struct {
	w, h   int
	scales []refScale
	mem    *scratch
}

// refScale is one scale of a reference: the planes (a and b pre-blurred),
// their local means and the local mean of the sum of their squares.
type refScale struct {
	w, h int
	x    [3][]float32
	mu   [3][]float32
	sq   []float32
}

// NewDSSIMReference prepares a (8-bit RGBA, straight alpha) as the
// reference of comparisons.
func NewDSSIMReference(a *Image) (*DSSIMReference, error) {
	if err := checkImage(a); err != nil {
		return nil, err
	}
	dims := dssimScales(a.W, a.H)
	n := dims[0].area() // blur scratch
	for i, d := range dims {
		n += 7 * d.area()
		if i > 0 {
			n += 4 * d.area() // linear light
		}
	}
	r := &DSSIMReference{w: a.W, h: a.H, scales: make([]refScale, len(dims)), mem: getScratch(n)}
	m := r.mem
	tmp := m.take(dims[0].area())
	pad := make([]float32, dims[0].w+4)
	var lin, next *linear
	for i, d := range dims {
		s := &r.scales[i]
		s.w, s.h = d.w, d.h
		for c := range 3 {
			s.x[c], s.mu[c] = m.take(d.area()), m.take(d.area())
		}
		s.sq = m.take(d.area())
		if i+1 < len(dims) {
			next = newLinear(m, dims[i+1])
		} else {
			next = nil
		}
		if i == 0 {
			labFromImage(a, &s.x, next)
		} else {
			lin.lab(&s.x, next)
		}
		lin = next
		t := tmp[:d.area()]
		blurChroma(&s.x, t, pad, d)
		for c := range 3 {
			blurRows(t, d, pad, func(y int, row []float32) { copy(row, s.x[c][y*d.w:(y+1)*d.w]) })
			blurCols(s.mu[c], t, d)
		}
		blurRows(t, d, pad, func(y int, row []float32) { sumSquares(row, &s.x, y*d.w) })
		blurCols(s.sq, t, d)
	}
	return r, nil
}

// Release returns r's memory to the pool; r must not be used afterwards.
func (r *DSSIMReference) Release() {
	if r != nil && r.mem != nil {
		putScratch(r.mem)
		r.mem, r.scales = nil, nil
	}
}

// Compare returns the DSSIM of b (the same size as the reference).
func (r *DSSIMReference) Compare(b *Image) (float64, error) {
	if err := checkImage(b); err != nil {
		return 0, err
	}
	if b.W != r.w || b.H != r.h {
		return 0, errors.New("dssim: images differ in size")
	}
	full := dimensions{r.w, r.h}
	n := 9*full.area() + 5*full.w
	for _, s := range r.scales[1:] {
		n += 4 * (dimensions{s.w, s.h}).area()
	}
	m := getScratch(n)
	defer putScratch(m)
	var planes [3][]float32
	for c := range planes {
		planes[c] = m.take(full.area())
	}
	var t [5][]float32 // horizontal passes: the three planes, Σy², Σ(x−y)²
	for i := range t {
		t[i] = m.take(full.area())
	}
	dissim := m.take(full.area())
	var rows [5][]float32
	for i := range rows {
		rows[i] = m.take(full.w)
	}
	pad := make([]float32, full.w+4)

	var lin, next *linear
	loss, weights := 0.0, 0.0
	for i := range r.scales {
		s := &r.scales[i]
		d := dimensions{s.w, s.h}
		var p [3][]float32
		for c := range p {
			p[c] = planes[c][:d.area()]
		}
		if i+1 < len(r.scales) {
			next = newLinear(m, dimensions{r.scales[i+1].w, r.scales[i+1].h})
		} else {
			next = nil
		}
		if i == 0 {
			labFromImage(b, &p, next)
		} else {
			lin.lab(&p, next)
		}
		lin = next
		blurChroma(&p, t[0][:d.area()], pad, d)
		for c := range 3 {
			blurRows(t[c], d, pad, func(y int, row []float32) { copy(row, p[c][y*d.w:(y+1)*d.w]) })
		}
		blurRows(t[3], d, pad, func(y int, row []float32) { sumSquares(row, &p, y*d.w) })
		blurRows(t[4], d, pad, func(y int, row []float32) { sumSquaredDiffs(row, &s.x, &p, y*d.w) })
		mp := dissim[:d.area()]
		sum := 0.0
		for y := range d.h {
			for k := range rows {
				blurColRow(rows[k][:d.w], t[k][:d.area()], d, y)
			}
			sum += dissimRow(mp[y*d.w:(y+1)*d.w], s, y*d.w, &rows)
		}
		loss += dssimWeights[i] * poolScale(mp, sum, i)
		weights += dssimWeights[i]
	}
	// With S = 1 − loss/weights the weighted mean of the scale scores,
	// 1/S − 1 = L/(1 − L) for L = loss/weights.
	l := loss / weights
	if l >= 1 {
		return math.Inf(1), nil
	}
	return l / (1 - l), nil
}

// The SSIM map is kept as 1 − SSIM per pixel (the dissimilarity): near 0
// for similar images, where float32 is precise, while SSIM itself would
// round to 1.

// poolScale returns 1 − the score of scale n from its dissimilarity map
// (whose sum is sum): the mean absolute deviation of SSIM from the map's
// mean SSIM raised to 0.5ⁿ.
func poolScale(mp []float32, sum float64, n int) float64 {
	mean := min(sum/float64(len(mp)), 1) // 1 − mean SSIM; SSIM below 0 counts as 0
	// 1 − (1 − mean)^(0.5ⁿ), precisely for small means.
	t := -math.Expm1(math.Pow(0.5, float64(n)) * math.Log1p(-mean))
	dev := 0.0
	for _, v := range mp {
		dev += math.Abs(float64(v) - t)
	}
	return dev / float64(len(mp))
}

// dissimRow computes 1 − SSIM for one row into out and returns the row's
// sum. The reference statistics come from offset off of scale s; rows
// holds the candidate's vertical passes: its three means, the local mean
// of Σy² and of Σ(x−y)². With the statistics averaged over the planes,
// SSIM = (1 − A)(1 − B) where A = Σ(μx−μy)² / (Σμx² + Σμy² + 3·C1) and
// B = (mean of Σ(x−y)² − Σ(μx−μy)²) / (σx² + σy² summed + 3·C2): the same
// value as the usual form, but the differences are computed directly
// instead of as differences of nearly equal numbers.
func dissimRow(out []float32, s *refScale, off int, rows *[5][]float32) float64 {
	const c1, c2 = 3 * dssimC1, 3 * dssimC2
	kl, ka, kb := statOffset[0], statOffset[1], statOffset[2]
	// A plane x = x' + k blurred by weights of mass s has the mean
	// μ = μ' + k·s and the variance σ'² + (1 − s)(2k·μ' + k²·s).
	s1 := blurMass
	lk, ak, bk := kl*s1, ka*s1, kb*s1
	cl, ca, cb, ck := 2*(1-s1)*kl, 2*(1-s1)*ka, 2*(1-s1)*kb, (1-s1)*s1*(kl*kl+ka*ka+kb*kb)
	w := len(out)
	m1l, m1a, m1b, sq1 := s.mu[0][off:off+w], s.mu[1][off:off+w], s.mu[2][off:off+w], s.sq[off:off+w]
	m2l, m2a, m2b, sq2, dd := rows[0], rows[1], rows[2], rows[3], rows[4]
	m1l, m1a, m1b, sq1 = m1l[:len(out)], m1a[:len(out)], m1b[:len(out)], sq1[:len(out)]
	m2l, m2a, m2b, sq2, dd = m2l[:len(out)], m2a[:len(out)], m2b[:len(out)], sq2[:len(out)], dd[:len(out)]
	sum := 0.0
	for i := range out {
		// Centred means (see labOffset): their squares give the
		// variances, their differences the luminance difference.
		dl, da, db := m1l[i]-m2l[i], m1a[i]-m2a[i], m1b[i]-m2b[i]
		dm := dl*dl + da*da + db*db
		v1 := sq1[i] - (m1l[i]*m1l[i] + m1a[i]*m1a[i] + m1b[i]*m1b[i]) + cl*m1l[i] + ca*m1a[i] + cb*m1b[i] + ck
		v2 := sq2[i] - (m2l[i]*m2l[i] + m2a[i]*m2a[i] + m2b[i]*m2b[i]) + cl*m2l[i] + ca*m2a[i] + cb*m2b[i] + ck
		// The means themselves.
		l1, a1, b1 := m1l[i]+lk, m1a[i]+ak, m1b[i]+bk
		l2, a2, b2 := m2l[i]+lk, m2a[i]+ak, m2b[i]+bk
		// 1 − (1 − p/q)(1 − u/v) over one division.
		p, q := dm, l1*l1+a1*a1+b1*b1+l2*l2+a2*a2+b2*b2+c1
		u, v := dd[i]-dm, v1+v2+c2
		d := (p*v + u*q - p*u) / (q * v)
		out[i] = d
		sum += float64(d)
	}
	return sum
}

func checkImage(m *Image) error {
	if m == nil || m.W < 1 || m.H < 1 || len(m.Pix) < m.W*m.H*4 {
		return errors.New("dssim: empty image")
	}
	return nil
}

// dimensions is the size of one scale.
type dimensions struct{ w, h int }

func (d dimensions) area() int { return d.w * d.h }

// dssimScales lists the scales measured for a w×h image, full size first.
func dssimScales(w, h int) []dimensions {
	d := []dimensions{{w, h}}
	for len(d) < len(dssimWeights) {
		last := d[len(d)-1]
		if last.w < dssimMinSide || last.h < dssimMinSide {
			break
		}
		d = append(d, dimensions{last.w / 2, last.h / 2})
	}
	return d
}

// linear is one scale below the full size in premultiplied linear light;
// a is nil while every pixel is opaque.
type linear struct {
	dimensions
	r, g, b, a []float32
}

func newLinear(m *scratch, d dimensions) *linear {
	return &linear{dimensions: d, r: m.take(d.area()), g: m.take(d.area()), b: m.take(d.area()), a: m.take(d.area())}
}

// srgbLinear maps an 8-bit sRGB value to linear light.
var srgbLinear = func() (t [256]float32) {
	for i := range t {
		v := float64(i) / 255
		if v <= 0.04045 {
			t[i] = float32(v / 12.92)
		} else {
			t[i] = float32(math.Pow((v+0.055)/1.055, 2.4))
		}
	}
	return t
}()

// labFromImage converts the full-size image into the planes x and, when
// next is not nil, writes the half-size scale into next.
func labFromImage(m *Image, x *[3][]float32, next *linear) {
	w, h := m.W, m.H
	for y := range h {
		row := m.Pix[y*w*4 : (y+1)*w*4]
		for i := range w {
			p := row[i*4 : i*4+4 : i*4+4]
			r, g, b := srgbLinear[p[0]], srgbLinear[p[1]], srgbLinear[p[2]]
			if p[3] != 255 {
				a := float32(p[3]) / 255
				r, g, b = composite(r*a, g*a, b*a, a, i, y)
			}
			x[0][y*w+i], x[1][y*w+i], x[2][y*w+i] = r, g, b
		}
		labRow(x[0][y*w:(y+1)*w], x[1][y*w:(y+1)*w], x[2][y*w:(y+1)*w])
	}
	if next == nil {
		return
	}
	opaque := true
	for y := range next.h {
		top, bot := m.Pix[2*y*w*4:], m.Pix[(2*y+1)*w*4:]
		for i := range next.w {
			var s [4]float32
			for _, q := range [4][]byte{top[8*i : 8*i+4], top[8*i+4 : 8*i+8], bot[8*i : 8*i+4], bot[8*i+4 : 8*i+8]} {
				a := float32(q[3]) / 255
				s[0] += srgbLinear[q[0]] * a
				s[1] += srgbLinear[q[1]] * a
				s[2] += srgbLinear[q[2]] * a
				s[3] += a
			}
			o := y*next.w + i
			next.r[o], next.g[o], next.b[o], next.a[o] = s[0]*0.25, s[1]*0.25, s[2]*0.25, s[3]*0.25
			opaque = opaque && s[3] == 4
		}
	}
	if opaque {
		next.a = nil
	}
}

// lab converts l into the planes x and, when next is not nil, writes the
// half-size scale into next.
func (l *linear) lab(x *[3][]float32, next *linear) {
	w := l.w
	for y := range l.h {
		for i := range w {
			o := y*w + i
			r, g, b := l.r[o], l.g[o], l.b[o]
			if l.a != nil && l.a[o] != 1 {
				r, g, b = composite(r, g, b, l.a[o], i, y)
			}
			x[0][o], x[1][o], x[2][o] = r, g, b
		}
		labRow(x[0][y*w:(y+1)*w], x[1][y*w:(y+1)*w], x[2][y*w:(y+1)*w])
	}
	if next == nil {
		return
	}
	half := func(dst, src []float32) {
		for y := range next.h {
			top, bot := src[2*y*w:], src[(2*y+1)*w:]
			for i := range next.w {
				dst[y*next.w+i] = (top[2*i] + top[2*i+1] + bot[2*i] + bot[2*i+1]) * 0.25
			}
		}
	}
	half(next.r, l.r)
	half(next.g, l.g)
	half(next.b, l.b)
	if l.a == nil {
		next.a = nil
	} else {
		half(next.a, l.a)
	}
}

// composite adds 1−a to the channels the block pattern at (x, y) selects
// (r, g, b premultiplied).
func composite(r, g, b, a float32, x, y int) (float32, float32, float32) {
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
	return r, g, b
}

// labRow converts a row of linear-light sRGB (in r, g, b) in place to the
// scaled L*a*b* of the algorithm, less labOffset: L = 1.05·f(Y),
// a = 500/220·(f(X) − f(Y)), b = 200/220·(f(Y) − f(Z)) with f(t) the CIE
// function less 16/116.
func labRow(r, g, b []float32) {
	g, b = g[:len(r)], b[:len(r)]
	for i := range r {
		rr, gg, bb := r[i], g[i], b[i]
		r[i] = (0.4124*rr + 0.3576*gg + 0.1805*bb) * (1 / 0.9505)
		g[i] = 0.2126*rr + 0.7152*gg + 0.0722*bb
		b[i] = (0.0193*rr + 0.1192*gg + 0.9505*bb) * (1 / 1.089)
	}
	labF(r)
	labF(g)
	labF(b)
	kl := labOffset[0]
	for i := range r {
		fx, fy, fz := r[i], g[i], b[i]
		r[i], g[i], b[i] = fy*1.05-kl, 500.0/220*(fx-fy), 200.0/220*(fy-fz)
	}
}

// labOffset is subtracted from the planes as they are stored (the a and b
// offsets are the algorithm's own, L's is about its middle), so that
// float32 products of values around 0 stay precise. Differences and
// (co)variances hardly depend on it: the kernel's weights sum to
// blurMass, not exactly 1, which dissimRow corrects for, so the result is
// the algorithm's to rounding.
var labOffset = [3]float32{0.5, 86.2 / 220, 107.9 / 220}

// blurMass is the sum of the weights of the double 3×3 blur, and
// statOffset the offsets of the planes the statistics are taken of: the
// a and b planes have been blurred once, which scaled their offsets.
var (
	blurMass   = float32(math.Pow(float64(2*blurK0+2*blurK1+blurK2), 2))
	statOffset = [3]float32{labOffset[0], labOffset[1] * blurMass, labOffset[2] * blurMass}
)

// The CIE L*a*b* function f(t) − 16/116: the cube root above
// (6/29)³, linear below.
const (
	labEpsilon = 216.0 / 24389
	labSlope   = 24389.0 / (27 * 116)
)

// invCbrtTable holds t^(−1/3) at 64 points per octave for t in [2⁻⁷, 2)
// (labEpsilon is above 2⁻⁷; t is at most 1 plus rounding), indexed by the
// float's exponent and top mantissa bits.
const (
	invCbrtBits    = 6
	invCbrtOctaves = 8
)

var invCbrtTable = func() (t [invCbrtOctaves<<invCbrtBits + 1]float32) {
	for i := range t {
		x := math.Ldexp(1+float64(i%(1<<invCbrtBits))/(1<<invCbrtBits), i>>invCbrtBits-7)
		t[i] = float32(1 / math.Cbrt(x))
	}
	return t
}()

// labF replaces each t in v by f(t) − 16/116. The cube root is t·r²
// with r ≈ t^(−1/3) interpolated from invCbrtTable (relative error about
// 1e-5) and refined by one Newton step, r·(4 − t·r³)/3, which squares the
// error away.
func labF(v []float32) {
	const fracBits = 23 - invCbrtBits
	for i, t := range v {
		if t <= labEpsilon {
			v[i] = labSlope * t
			continue
		}
		bits := math.Float32bits(t) // t < 2: the octaves of the table
		m := bits & (1<<23 - 1)
		k := (int(bits>>23)-127+7)<<invCbrtBits | int(m>>fracBits)
		frac := float32(m&(1<<fracBits-1)) * (1.0 / (1 << fracBits))
		k &= invCbrtOctaves<<invCbrtBits - 1 // in range already; lets the compiler drop bounds checks
		r0, r1 := invCbrtTable[k], invCbrtTable[k+1]
		r := r0 + (r1-r0)*frac
		r = r * (4 - t*r*r*r) * (1.0 / 3)
		v[i] = t*r*r - 16.0/116
	}
}

// blurChroma blurs the a and b planes once, in place.
func blurChroma(x *[3][]float32, tmp, pad []float32, d dimensions) {
	for c := 1; c < 3; c++ {
		p := x[c][:d.area()]
		blurRows(tmp, d, pad, func(y int, row []float32) { copy(row, p[y*d.w:(y+1)*d.w]) })
		blurCols(p, tmp, d)
	}
}

// blurRows runs the horizontal pass: fill writes row y's input into row,
// which sits in pad (len ≥ w+4) between the mirrored edges.
func blurRows(dst []float32, d dimensions, pad []float32, fill func(y int, row []float32)) {
	w := d.w
	pad = pad[:w+4]
	k0, k1, k2 := blurK0, blurK1, blurK2
	for y := range d.h {
		fill(y, pad[2:2+w])
		pad[1], pad[0] = pad[2+mirror(-1, w)], pad[2+mirror(-2, w)]
		pad[w+2], pad[w+3] = pad[2+mirror(w, w)], pad[2+mirror(w+1, w)]
		out := dst[y*w : (y+1)*w]
		p := pad[:len(out)+4]
		for x := range out {
			out[x] = k0*(p[x]+p[x+4]) + k1*(p[x+1]+p[x+3]) + k2*p[x+2]
		}
	}
}

// blurCols runs the vertical pass from src into dst.
func blurCols(dst, src []float32, d dimensions) {
	for y := range d.h {
		blurColRow(dst[y*d.w:(y+1)*d.w], src, d, y)
	}
}

// blurColRow writes row y of the vertical pass over src into out.
func blurColRow(out, src []float32, d dimensions, y int) {
	w := d.w
	row := func(i int) []float32 { i = mirror(i, d.h); return src[i*w : (i+1)*w : (i+1)*w] }
	a, b, c, e, f := row(y-2), row(y-1), row(y), row(y+1), row(y+2)
	out = out[:w]
	a, b, c, e, f = a[:len(out)], b[:len(out)], c[:len(out)], e[:len(out)], f[:len(out)]
	k0, k1, k2 := blurK0, blurK1, blurK2
	for x := range out {
		out[x] = k0*(a[x]+f[x]) + k1*(b[x]+e[x]) + k2*c[x]
	}
}

// mirror maps an index outside [0, n) to its mirror image across the
// edge (−1 → 0, −2 → 1, n → n−1), which is what two passes of a 3-tap
// filter that repeats edge pixels amount to.
func mirror(i, n int) int {
	for i < 0 || i >= n {
		if i < 0 {
			i = -i - 1
		} else {
			i = 2*n - 1 - i
		}
	}
	return i
}

// sumSquares writes Σ x_c² of the pixels from offset off into row.
func sumSquares(row []float32, x *[3][]float32, off int) {
	l, a, b := x[0][off:off+len(row)], x[1][off:off+len(row)], x[2][off:off+len(row)]
	for i := range row {
		row[i] = l[i]*l[i] + a[i]*a[i] + b[i]*b[i]
	}
}

// sumSquaredDiffs writes Σ (x_c − y_c)² of the pixels from offset off
// into row.
func sumSquaredDiffs(row []float32, x, y *[3][]float32, off int) {
	n := len(row)
	xl, xa, xb := x[0][off:off+n], x[1][off:off+n], x[2][off:off+n]
	yl, ya, yb := y[0][off:off+n], y[1][off:off+n], y[2][off:off+n]
	for i := range row {
		dl, da, db := xl[i]-yl[i], xa[i]-ya[i], xb[i]-yb[i]
		row[i] = dl*dl + da*da + db*db
	}
}

// scratch is pooled float32 memory handed out in slices (take); it is
// owned by one computation at a time (getScratch/putScratch).
type scratch struct {
	buf []float32
	off int
}

var scratchPool sync.Pool

// getScratch returns scratch memory with room for n floats; the caller
// gives it back with putScratch when no slice taken from it is used any
// more.
func getScratch(n int) *scratch {
	s, _ := scratchPool.Get().(*scratch)
	if s == nil || cap(s.buf) < n {
		s = &scratch{buf: make([]float32, n)}
	}
	s.buf, s.off = s.buf[:cap(s.buf)], 0
	return s
}

func putScratch(s *scratch) {
	s.off = 0
	scratchPool.Put(s)
}

// take hands out the next n floats (contents undefined).
func (s *scratch) take(n int) []float32 {
	if s.off+n > len(s.buf) {
		panic("BUG: dssim scratch too small")
	}
	p := s.buf[s.off : s.off+n : s.off+n]
	s.off += n
	return p
}
