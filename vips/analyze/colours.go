package analyze

import (
	"math"
	"sort"
)

// RGBA is an 8-bit colour with straight alpha.
type RGBA struct{ R, G, B, A uint8 }

// Average returns the mean colour of m. With opaqueOnly, fully
// transparent pixels are left out (and an image with nothing else gives
// transparent black).
func Average(m *Image, opaqueOnly bool) RGBA {
	var r, g, b, a, n float64
	for i := range m.W * m.H {
		pr, pg, pb, pa := m.at(i)
		if opaqueOnly && pa == 0 {
			continue
		}
		r, g, b, a, n = r+float64(pr), g+float64(pg), b+float64(pb), a+float64(pa), n+1
	}
	if n == 0 {
		return RGBA{}
	}
	c := func(v float64) uint8 { return uint8(math.Round(v / n)) }
	return RGBA{c(r), c(g), c(b), c(a)}
}

// Swatch is a palette colour and the share of pixels it stands for.
type Swatch struct {
	Color      RGBA
	Population int
}

// bin is one cell of the 5-bit-per-channel colour histogram, with the
// exact sums of its pixels so that a box's colour is their true mean.
type bin struct {
	key        uint16 // r<<10 | g<<5 | b, 5 bits each
	n          int
	r, g, b, a int
}

// Palette reduces the pixels of m that are not fully transparent to at
// most n colours by median cut (a box of histogram cells is split at the
// median of its widest channel, the most populous box first) and returns
// them most populous first. Each colour is the mean of its pixels, alpha
// included.
func Palette(m *Image, n int) []Swatch {
	hist := map[uint16]*bin{}
	for i := range m.W * m.H {
		r, g, b, a := m.at(i)
		if a == 0 {
			continue
		}
		k := uint16(r>>3)<<10 | uint16(g>>3)<<5 | uint16(b>>3)
		c := hist[k]
		if c == nil {
			c = &bin{key: k}
			hist[k] = c
		}
		c.n++
		c.r, c.g, c.b, c.a = c.r+int(r), c.g+int(g), c.b+int(b), c.a+int(a)
	}
	if len(hist) == 0 || n < 1 {
		return nil
	}
	cells := make([]bin, 0, len(hist))
	for _, c := range hist {
		cells = append(cells, *c)
	}
	sort.Slice(cells, func(i, j int) bool { return cells[i].key < cells[j].key })
	boxes := [][]bin{cells}
	for len(boxes) < n {
		best, bestN := -1, 0
		for i, bx := range boxes {
			if len(bx) < 2 {
				continue
			}
			if p := population(bx); p > bestN {
				best, bestN = i, p
			}
		}
		if best < 0 {
			break // every box is one cell
		}
		lo, hi := splitBox(boxes[best])
		boxes[best] = lo
		boxes = append(boxes, hi)
	}
	out := make([]Swatch, 0, len(boxes))
	for _, bx := range boxes {
		var r, g, b, a, k int
		for _, c := range bx {
			r, g, b, a, k = r+c.r, g+c.g, b+c.b, a+c.a, k+c.n
		}
		d := float64(k)
		out = append(out, Swatch{RGBA{uint8(math.Round(float64(r) / d)), uint8(math.Round(float64(g) / d)),
			uint8(math.Round(float64(b) / d)), uint8(math.Round(float64(a) / d))}, k})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Population > out[j].Population })
	return out
}

func population(bx []bin) int {
	n := 0
	for _, c := range bx {
		n += c.n
	}
	return n
}

// channel returns the 5-bit value of channel ch (0 r, 1 g, 2 b) of a key.
func channel(k uint16, ch int) int { return int(k>>(10-5*ch)) & 31 }

// splitBox cuts a box of cells in two at the pixel median of its widest
// channel; both halves are non-empty.
func splitBox(bx []bin) (lo, hi []bin) {
	widest, span := 0, -1
	for ch := range 3 {
		mn, mx := 31, 0
		for _, c := range bx {
			v := channel(c.key, ch)
			mn, mx = min(mn, v), max(mx, v)
		}
		if mx-mn > span {
			widest, span = ch, mx-mn
		}
	}
	sort.SliceStable(bx, func(i, j int) bool { return channel(bx[i].key, widest) < channel(bx[j].key, widest) })
	half, acc := population(bx)/2, 0
	cut := 1
	for i, c := range bx {
		acc += c.n
		if acc >= half {
			cut = i + 1
			break
		}
	}
	cut = max(1, min(len(bx)-1, cut))
	lo = append([]bin(nil), bx[:cut]...)
	hi = append([]bin(nil), bx[cut:]...)
	return lo, hi
}

// DominantColors names, in the order of the swatches of Dominant.
var DominantNames = [6]string{"vibrant", "light_vibrant", "dark_vibrant", "muted", "light_muted", "dark_muted"}

// target is one dominant-colour role: lightness and saturation windows
// and the values it prefers.
type target struct {
	minL, wantL, maxL float64
	minS, wantS, maxS float64
}

var targets = [6]target{
	{0.3, 0.5, 0.7, 0.35, 1, 1},  // vibrant
	{0.55, 0.74, 1, 0.35, 1, 1},  // light vibrant
	{0, 0.26, 0.45, 0.35, 1, 1},  // dark vibrant
	{0.3, 0.5, 0.7, 0, 0.3, 0.4}, // muted
	{0.55, 0.74, 1, 0, 0.3, 0.4}, // light muted
	{0, 0.26, 0.45, 0, 0.3, 0.4}, // dark muted
}

// Dominant picks the six dominant colours of m (in DominantNames order):
// the pixels are reduced to a 64-colour palette, and for each role the
// palette colour inside its lightness and saturation windows that scores
// best on closeness to the wanted saturation (weight 3) and lightness
// (weight 6.5) and on population (weight 0.5) is taken, each colour at
// most once. ok[i] is false for a role nothing fits. With buildMissed a
// missing role is made from a found one by moving its lightness or
// saturation to the role's wanted value.
func Dominant(m *Image, buildMissed bool) (cols [6]RGBA, ok [6]bool) {
	pal := Palette(m, 64)
	maxPop := 1
	for _, s := range pal {
		maxPop = max(maxPop, s.Population)
	}
	used := make([]bool, len(pal))
	var hsl [6][3]float64
	for t, tg := range targets {
		best, bestScore := -1, -1.0
		for i, s := range pal {
			if used[i] {
				continue
			}
			h, sat, l := toHSL(s.Color)
			if l < tg.minL || l > tg.maxL || sat < tg.minS || sat > tg.maxS {
				continue
			}
			score := (3*(1-math.Abs(sat-tg.wantS)) + 6.5*(1-math.Abs(l-tg.wantL)) +
				0.5*float64(s.Population)/float64(maxPop)) / 10
			if score > bestScore {
				best, bestScore = i, score
				hsl[t] = [3]float64{h, sat, l}
			}
		}
		if best >= 0 {
			used[best] = true
			cols[t], ok[t] = pal[best].Color, true
			cols[t].A = 255
		}
	}
	if !buildMissed {
		return cols, ok
	}
	// Each role borrows from its neighbours: the same kind in another
	// lightness, then the other kind in the same lightness.
	from := [6][2]int{{2, 1}, {0, 4}, {0, 5}, {0, 5}, {1, 3}, {2, 3}}
	for t := range targets {
		if ok[t] {
			continue
		}
		for _, f := range from[t] {
			if !ok[f] {
				continue
			}
			h, s, l := hsl[f][0], hsl[f][1], hsl[f][2]
			if targets[f].wantS != targets[t].wantS {
				s = targets[t].wantS
			} else {
				l = targets[t].wantL
			}
			cols[t], ok[t], hsl[t] = fromHSL(h, s, l), true, [3]float64{h, s, l}
			break
		}
	}
	return cols, ok
}

// toHSL converts to hue (0..1), saturation and lightness.
func toHSL(c RGBA) (h, s, l float64) {
	r, g, b := float64(c.R)/255, float64(c.G)/255, float64(c.B)/255
	mx, mn := max(r, g, b), min(r, g, b)
	l = (mx + mn) / 2
	d := mx - mn
	if d == 0 {
		return 0, 0, l
	}
	if l > 0.5 {
		s = d / (2 - mx - mn)
	} else {
		s = d / (mx + mn)
	}
	switch mx {
	case r:
		h = (g - b) / d
		if g < b {
			h += 6
		}
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	return h / 6, s, l
}

func fromHSL(h, s, l float64) RGBA {
	if s == 0 {
		v := uint8(math.Round(l * 255))
		return RGBA{v, v, v, 255}
	}
	q := l * (1 + s)
	if l >= 0.5 {
		q = l + s - l*s
	}
	p := 2*l - q
	hue := func(t float64) uint8 {
		t -= math.Floor(t)
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < 0.5:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(math.Round(v * 255))
	}
	return RGBA{hue(h + 1.0/3), hue(h), hue(h - 1.0/3), 255}
}
