package analyze

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/imgedge/imgedge/vips/analyze/dssimref"
)

// blend mixes b into a copy of a: out = a + t·(b − a) per channel.
func blend(a, b *Image, t float64) *Image {
	out := &Image{W: a.W, H: a.H, Pix: make([]byte, len(a.Pix))}
	for i := range out.Pix {
		out.Pix[i] = byte(math.Round(float64(a.Pix[i]) + t*(float64(b.Pix[i])-float64(a.Pix[i]))))
	}
	return out
}

// translucent gives m a varied alpha channel.
func translucent(m *Image, seed uint64) *Image {
	r := rand.New(rand.NewPCG(seed, 2))
	out := &Image{W: m.W, H: m.H, Pix: append([]byte(nil), m.Pix...)}
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = byte(r.IntN(256))
	}
	return out
}

func TestDSSIMMatchesSlowReference(t *testing.T) {
	for i, tc := range []struct {
		w, h  int
		alpha bool
	}{{1, 1, false}, {3, 2, true}, {7, 5, false}, {9, 8, true}, {40, 33, false}, {70, 44, true}} {
		a := noisy(tc.w, tc.h, uint64(i), 30)
		b := blend(a, noisy(tc.w, tc.h, uint64(i+50), 90), 0.3)
		if tc.alpha {
			a, b = translucent(a, 1), translucent(b, 1)
			b.Pix[3] ^= 0x40 // the alpha differs somewhere too
		}
		got, err := DSSIM(a, b)
		if err != nil {
			t.Fatal(err)
		}
		want := dssimref.DSSIM(a.Pix, b.Pix, a.W, a.H)
		if math.Abs(got-want) > 1e-4*want {
			t.Errorf("%dx%d alpha %v: got %.8f; want %.8f (slow reference)", tc.w, tc.h, tc.alpha, got, want)
		}
	}
}

// jpegRoundTrip encodes m as JPEG at quality q and decodes it (the
// standard library's codec: independent of libvips).
func jpegRoundTrip(t *testing.T, m *Image, q int) *Image {
	t.Helper()
	src := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	copy(src.Pix, m.Pix)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out := &Image{W: m.W, H: m.H, Pix: make([]byte, m.W*m.H*4)}
	for y := range m.H {
		for x := range m.W {
			c := color.NRGBAModel.Convert(dec.At(x, y)).(color.NRGBA)
			copy(out.Pix[(y*m.W+x)*4:], []byte{c.R, c.G, c.B, 255})
		}
	}
	return out
}

// boxBlur averages each pixel with its 3×3 neighbourhood.
func boxBlur(m *Image) *Image {
	out := &Image{W: m.W, H: m.H, Pix: append([]byte(nil), m.Pix...)}
	for y := 1; y < m.H-1; y++ {
		for x := 1; x < m.W-1; x++ {
			for c := range 3 {
				s := 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						s += int(m.Pix[((y+dy)*m.W+x+dx)*4+c])
					}
				}
				out.Pix[(y*m.W+x)*4+c] = byte(s / 9)
			}
		}
	}
	return out
}

func TestDSSIMProperties(t *testing.T) {
	a := noisy(96, 64, 1, 40)
	ref, err := NewDSSIMReference(a)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Release()
	d := func(b *Image) float64 {
		t.Helper()
		v, err := ref.Compare(b)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := d(a); v != 0 {
		t.Errorf("identical images: got %v; want 0", v)
	}
	// More noise, more difference; and roughly symmetric.
	prev := 0.0
	for i, amp := range []float64{0.05, 0.15, 0.4} {
		b := blend(a, noisy(96, 64, uint64(7+i), 120), amp)
		v := d(b)
		if v <= prev {
			t.Errorf("noise %.2f: DSSIM %.5f does not grow (previous %.5f)", amp, v, prev)
		}
		if back, _ := DSSIM(b, a); math.Abs(back-v) > 0.2*v {
			t.Errorf("noise %.2f: DSSIM(a, b) %.5f but DSSIM(b, a) %.5f", amp, v, back)
		}
		prev = v
	}
	// Lower JPEG quality, more difference.
	prev = 0
	for _, q := range []int{95, 75, 40, 10} {
		v := d(jpegRoundTrip(t, a, q))
		if v <= prev {
			t.Errorf("JPEG q%d: DSSIM %.5f does not grow (previous %.5f)", q, v, prev)
		}
		prev = v
	}
	// A uniform brightness shift is a small difference; a blur is a larger
	// one than mild noise.
	shift := &Image{W: a.W, H: a.H, Pix: append([]byte(nil), a.Pix...)}
	for i := range shift.Pix {
		if i%4 != 3 {
			shift.Pix[i] = byte(min(255, int(shift.Pix[i])+4))
		}
	}
	mild := d(blend(a, noisy(96, 64, 3, 120), 0.05))
	if v := d(shift); v > 0.002 {
		t.Errorf("brightness +4: DSSIM %.5f; want a small value (< 0.002)", v)
	}
	if b := d(boxBlur(a)); b <= mild {
		t.Errorf("3×3 blur: DSSIM %.5f; want more than mild noise's %.5f", b, mild)
	}
	if _, err := ref.Compare(noisy(10, 10, 1, 1)); err == nil {
		t.Error("images of different sizes accepted")
	}
	if _, err := DSSIM(&Image{}, a); err == nil {
		t.Error("empty image accepted")
	}
}
