package analyze

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func fill(m *Image, x0, y0, x1, y1 int, c RGBA) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			copy(m.Pix[(y*m.W+x)*4:], []byte{c.R, c.G, c.B, c.A})
		}
	}
}

func TestAverageAndPalette(t *testing.T) {
	m := &Image{W: 10, H: 10, Pix: make([]byte, 400)}
	fill(m, 0, 0, 10, 5, RGBA{200, 100, 0, 255})
	fill(m, 0, 5, 10, 10, RGBA{0, 0, 0, 0})
	if got, want := Average(m, true), (RGBA{200, 100, 0, 255}); got != want {
		t.Errorf("average ignoring transparent: got %v; want %v", got, want)
	}
	if got, want := Average(m, false), (RGBA{100, 50, 0, 128}); got != want {
		t.Errorf("average: got %v; want %v", got, want)
	}
	fill(m, 0, 5, 10, 8, RGBA{10, 20, 250, 255})
	fill(m, 0, 8, 10, 10, RGBA{10, 200, 20, 128})
	pal := Palette(m, 8)
	want := []Swatch{{RGBA{200, 100, 0, 255}, 50}, {RGBA{10, 20, 250, 255}, 30}, {RGBA{10, 200, 20, 128}, 20}}
	if len(pal) != len(want) {
		t.Fatalf("palette: got %v; want %v", pal, want)
	}
	for i := range want {
		if pal[i] != want[i] {
			t.Errorf("palette[%d]: got %v; want %v", i, pal[i], want[i])
		}
	}
	if got := Palette(m, 2); len(got) != 2 || got[0].Population+got[1].Population != 100 {
		t.Errorf("palette of 2: %v", got)
	}
}

func TestDominantTwoColours(t *testing.T) {
	m := &Image{W: 20, H: 20, Pix: make([]byte, 1600)}
	red, slate := RGBA{230, 20, 30, 255}, RGBA{40, 44, 52, 255}
	fill(m, 0, 0, 10, 20, red)
	fill(m, 10, 0, 20, 20, slate)
	cols, ok := Dominant(m, false)
	found := map[string]RGBA{}
	for i, n := range DominantNames {
		if ok[i] {
			found[n] = cols[i]
		}
	}
	if len(found) != 2 || found["vibrant"] != red || found["dark_muted"] != slate {
		t.Fatalf("dominant colours: got %v; want vibrant %v and dark_muted %v", found, red, slate)
	}
	cols, ok = Dominant(m, true)
	for i, n := range DominantNames {
		if !ok[i] {
			t.Errorf("build missed: %s missing", n)
			continue
		}
		_, s, l := toHSL(cols[i])
		tg := targets[i]
		if n != "vibrant" && n != "dark_muted" && (math.Abs(l-tg.wantL) > 0.01 && math.Abs(s-tg.wantS) > 0.01) {
			t.Errorf("built %s = %v (s %.2f l %.2f) is at neither wanted value", n, cols[i], s, l)
		}
	}
}

func noisy(w, h int, seed uint64, amp float64) *Image {
	r := rand.New(rand.NewPCG(seed, 1))
	m := &Image{W: w, H: h, Pix: make([]byte, w*h*4)}
	for y := range h {
		for x := range w {
			p := m.Pix[(y*w+x)*4:]
			base := 128 + 100*math.Sin(float64(x)/7)*math.Cos(float64(y)/5)
			for c := range 3 {
				p[c] = byte(max(0, min(255, base+amp*(r.Float64()-0.5)+float64(c*20))))
			}
			p[3] = 255
		}
	}
	return m
}

func TestComplexityAndPHash(t *testing.T) {
	flat := &Image{W: 64, H: 64, Pix: make([]byte, 64*64*4)}
	fill(flat, 0, 0, 64, 64, RGBA{255, 255, 255, 255})
	fill(flat, 16, 16, 48, 48, RGBA{0, 80, 200, 255})
	photo := noisy(64, 64, 3, 80)
	if c := Complexity(flat); c >= 5.5 {
		t.Errorf("flat graphic complexity %.2f; want < 5.5", c)
	}
	if c := Complexity(photo); c <= 5.5 {
		t.Errorf("noisy photo complexity %.2f; want > 5.5", c)
	}
	a, b, c := noisy(64, 64, 3, 10), noisy(64, 64, 4, 12), flat
	ha, hb, hc := PerceptualHash(a), PerceptualHash(b), PerceptualHash(c)
	if d := bits.OnesCount64(ha ^ hb); d > 12 {
		t.Errorf("similar images are %d bits apart", d)
	}
	if d := bits.OnesCount64(ha ^ hc); d < 20 {
		t.Errorf("different images are only %d bits apart", d)
	}
}
