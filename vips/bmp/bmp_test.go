package bmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"testing"

	xbmp "golang.org/x/image/bmp"

	"github.com/imgedge/imgedge/vips/bmp/bmptest"
)

// The tests write every variant byte by byte from a known picture and
// compare the decoded pixels with it.

type spec = bmptest.Spec

func le32b(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

var (
	rows        = bmptest.Rows
	packIndexes = bmptest.PackIndexes
)

// want is an expected picture: RGBA, rows top first.
type want struct {
	w, h     int
	channels int
	pix      []byte
}

func newWant(w, h, ch int, px func(x, y int) [4]byte) want {
	wt := want{w: w, h: h, channels: ch}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := px(x, y)
			wt.pix = append(wt.pix, p[:ch]...)
		}
	}
	return wt
}

func check(t *testing.T, name string, img *Image, err error, wt want) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if img.Width != wt.w || img.Height != wt.h || img.Channels != wt.channels {
		t.Fatalf("%s: got %dx%d×%d; want %dx%d×%d", name, img.Width, img.Height, img.Channels, wt.w, wt.h, wt.channels)
	}
	if !bytes.Equal(img.Pix, wt.pix) {
		for i := range wt.pix {
			if img.Pix[i] != wt.pix[i] {
				p := i / wt.channels
				t.Fatalf("%s: pixel (%d,%d) channel %d: got %d; want %d", name, p%wt.w, p/wt.w, i%wt.channels, img.Pix[i], wt.pix[i])
			}
		}
	}
}

var testPalette = [][3]byte{{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30},
	{200, 100, 50}, {1, 2, 3}, {128, 128, 128}, {64, 0, 64}, {0, 64, 64}, {9, 9, 9}, {250, 250, 0}, {17, 34, 51},
	{99, 88, 77}, {240, 15, 15}}

func palette(n int) [][3]byte {
	p := make([][3]byte, n)
	for i := range p {
		if i < len(testPalette) {
			p[i] = testPalette[i]
		} else {
			p[i] = [3]byte{byte(i), byte(255 - i), byte(i * 7)}
		}
	}
	return p
}

func TestPaletted(t *testing.T) {
	const w, h = 13, 5 // odd width: partial bytes and row padding
	for _, bpp := range []int{1, 2, 4, 8} {
		for _, topDown := range []bool{false, true} {
			for _, hdr := range []int{12, 16, 40, 64, 124} {
				if hdr == 12 && (bpp == 2 || topDown) {
					continue // OS/2 1.x: no 2-bit, no top-down
				}
				n := 1 << bpp
				if bpp == 8 && hdr >= 36 {
					n = 20 // a short palette (biClrUsed)
				}
				pal := palette(n)
				index := func(x, y int) int { return (x*3 + y*5) % n }
				s := spec{W: w, H: h, Hdr: hdr, BPP: bpp, TopDown: topDown, Palette: pal,
					Data: rows(h, topDown, func(y int) []byte {
						idx := make([]int, w)
						for x := range idx {
							idx[x] = index(x, y)
						}
						return packIndexes(idx, bpp)
					})}
				wt := newWant(w, h, 3, func(x, y int) [4]byte {
					c := pal[index(x, y)]
					return [4]byte{c[0], c[1], c[2], 255}
				})
				img, err := Decode(s.File(), 0)
				check(t, fmt.Sprintf("%d-bit header %d topDown=%v", bpp, hdr, topDown), img, err, wt)
			}
		}
	}
}

// TestPaletteIndexOutOfRange: an 8-bit bitmap with a 2-colour palette and
// a pixel of index 200 is an error, not a crash.
func TestPaletteIndexOutOfRange(t *testing.T) {
	s := spec{W: 4, H: 2, Hdr: 40, BPP: 8, Palette: palette(2), Data: rows(2, false, func(y int) []byte {
		return []byte{0, 1, 200, 1}
	})}
	_, err := Decode(s.File(), 0)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v; want ErrInvalid", err)
	}
	// The same in RLE8 (run and literal).
	for _, data := range [][]byte{{4, 200, 0, 1}, {0, 3, 1, 200, 0, 0, 0, 1}} {
		s := spec{W: 4, H: 1, Hdr: 40, BPP: 8, Comp: 1, Palette: palette(2), Data: data}
		if _, err := Decode(s.File(), 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("RLE8 %v: got %v; want ErrInvalid", data, err)
		}
	}
}

func px16(r, g, b, a uint32, rm, gm, bm, am uint32) []byte {
	put := func(v, m uint32) uint32 {
		if m == 0 {
			return 0
		}
		s := 0
		for m>>s&1 == 0 {
			s++
		}
		return (v << s) & m
	}
	v := put(r, rm) | put(g, gm) | put(b, bm) | put(a, am)
	return []byte{byte(v), byte(v >> 8)}
}

func scale(v, bits uint32) byte {
	max := uint32(1)<<bits - 1
	return byte((v*255 + max/2) / max)
}

func TestSixteenBit(t *testing.T) {
	const w, h = 7, 3
	type variant struct {
		name  string
		hdr   int
		comp  uint32
		masks []uint32
		bits  [4]uint32 // bits per channel
	}
	for _, v := range []variant{
		{"555 BI_RGB", 40, 0, nil, [4]uint32{5, 5, 5, 0}},
		{"565 bitfields", 40, 3, []uint32{0xf800, 0x7e0, 0x1f}, [4]uint32{5, 6, 5, 0}},
		{"565 V2 header", 52, 3, []uint32{0xf800, 0x7e0, 0x1f}, [4]uint32{5, 6, 5, 0}},
		{"4444 V3 alpha", 56, 3, []uint32{0xf00, 0xf0, 0xf, 0xf000}, [4]uint32{4, 4, 4, 4}},
		{"1555 V5 alpha", 124, 3, []uint32{0x7c00, 0x3e0, 0x1f, 0x8000}, [4]uint32{5, 5, 5, 1}},
		{"4444 alphabitfields", 40, 6, []uint32{0xf00, 0xf0, 0xf, 0xf000}, [4]uint32{4, 4, 4, 4}},
	} {
		masks := v.masks
		if masks == nil {
			masks = []uint32{0x7c00, 0x3e0, 0x1f, 0}
		}
		m := func(i int) uint32 {
			if i < len(masks) {
				return masks[i]
			}
			return 0
		}
		val := func(x, y, c int) uint32 {
			max := uint32(1)<<v.bits[c] - 1
			return uint32(x*5+y*11+c*3) % (max + 1)
		}
		s := spec{W: w, H: h, Hdr: v.hdr, BPP: 16, Comp: v.comp, Masks: v.masks, Data: rows(h, false, func(y int) []byte {
			var r []byte
			for x := 0; x < w; x++ {
				a := uint32(0)
				if v.bits[3] > 0 {
					a = val(x, y, 3)
				}
				r = append(r, px16(val(x, y, 0), val(x, y, 1), val(x, y, 2), a, m(0), m(1), m(2), m(3))...)
			}
			return r
		})}
		ch := 3
		if v.bits[3] > 0 {
			ch = 4
		}
		wt := newWant(w, h, ch, func(x, y int) [4]byte {
			p := [4]byte{scale(val(x, y, 0), v.bits[0]), scale(val(x, y, 1), v.bits[1]), scale(val(x, y, 2), v.bits[2]), 255}
			if ch == 4 {
				p[3] = scale(val(x, y, 3), v.bits[3])
			}
			return p
		})
		img, err := Decode(s.File(), 0)
		check(t, v.name, img, err, wt)
	}
}

func TestTrueColour(t *testing.T) {
	const w, h = 5, 4
	col := func(x, y int) [4]byte {
		return [4]byte{byte(x * 50), byte(y * 60), byte(x*y*10 + 7), byte(40 + x*40 + y)}
	}
	for _, topDown := range []bool{false, true} {
		s24 := spec{W: w, H: h, Hdr: 40, BPP: 24, TopDown: topDown, Data: rows(h, topDown, func(y int) []byte {
			var r []byte
			for x := 0; x < w; x++ {
				c := col(x, y)
				r = append(r, c[2], c[1], c[0])
			}
			return r
		})}
		img, err := Decode(s24.File(), 0)
		check(t, fmt.Sprintf("24-bit topDown=%v", topDown), img, err, newWant(w, h, 3, func(x, y int) [4]byte {
			c := col(x, y)
			return [4]byte{c[0], c[1], c[2], 255}
		}))
		bgra := func(alpha bool) []byte {
			return rows(h, topDown, func(y int) []byte {
				var r []byte
				for x := 0; x < w; x++ {
					c := col(x, y)
					a := c[3]
					if !alpha {
						a = 0
					}
					r = append(r, c[2], c[1], c[0], a)
				}
				return r
			})
		}
		withAlpha := newWant(w, h, 4, func(x, y int) [4]byte { return col(x, y) })
		opaque := newWant(w, h, 3, func(x, y int) [4]byte { c := col(x, y); return [4]byte{c[0], c[1], c[2], 255} })
		for _, tc := range []struct {
			name string
			s    spec
			wt   want
		}{
			{"32-bit BI_RGB with alpha", spec{Hdr: 40, Comp: 0, Data: bgra(true)}, withAlpha},
			{"32-bit BI_RGB zero alpha", spec{Hdr: 40, Comp: 0, Data: bgra(false)}, opaque},
			{"32-bit V5 BI_RGB no alpha mask", spec{Hdr: 124, Comp: 0, Masks: []uint32{0, 0, 0, 0}, Data: bgra(true)}, opaque},
			{"32-bit V5 bitfields alpha", spec{Hdr: 124, Comp: 3, Masks: []uint32{0xff0000, 0xff00, 0xff, 0xff000000}, Data: bgra(true)}, withAlpha},
			{"32-bit V4 bitfields no alpha", spec{Hdr: 108, Comp: 3, Masks: []uint32{0xff0000, 0xff00, 0xff, 0}, Data: bgra(true)}, opaque},
			{"32-bit bitfields RGBA order", spec{Hdr: 56, Comp: 3, Masks: []uint32{0xff, 0xff00, 0xff0000, 0xff000000}, Data: rows(h, topDown, func(y int) []byte {
				var r []byte
				for x := 0; x < w; x++ {
					c := col(x, y)
					r = append(r, c[0], c[1], c[2], c[3])
				}
				return r
			})}, withAlpha},
			{"32-bit 10-bit channels", spec{Hdr: 40, Comp: 3, Masks: []uint32{0x3ff00000, 0xffc00, 0x3ff}, Data: rows(h, topDown, func(y int) []byte {
				var r []byte
				for x := 0; x < w; x++ {
					c := col(x, y)
					v := uint32(c[0])<<22 | uint32(c[1])<<12 | uint32(c[2])<<2
					r = binary.LittleEndian.AppendUint32(r, v)
				}
				return r
			})}, newWant(w, h, 3, func(x, y int) [4]byte {
				c := col(x, y)
				return [4]byte{scale(uint32(c[0])<<2, 10), scale(uint32(c[1])<<2, 10), scale(uint32(c[2])<<2, 10), 255}
			})},
		} {
			tc.s.W, tc.s.H, tc.s.BPP, tc.s.TopDown = w, h, 32, topDown
			img, err := Decode(tc.s.File(), 0)
			check(t, fmt.Sprintf("%s topDown=%v", tc.name, topDown), img, err, tc.wt)
		}
	}
}

// TestRLE8 covers runs, odd literals (padding), end of row, delta and end
// of bitmap; skipped pixels are transparent.
func TestRLE8(t *testing.T) {
	pal := palette(16)
	const w, h = 8, 4
	data := []byte{
		3, 2, 0, 3, 5, 6, 7, 0, 2, 1, 0, 0, // row 0 (bottom): 2 2 2 5 6 7 1 1
		0, 2, 2, 1, // delta: x+2, y+1 → row 1 skipped, row 2 from x=2
		12, 4, // run past the right edge: x=2..7 = 4, rest dropped
		0, 0, // end of row → row 3
		2, 9, 0, 1, // row 3: 9 9, then end of bitmap
	}
	s := spec{W: w, H: h, Hdr: 40, BPP: 8, Comp: 1, Palette: pal, Data: data}
	idx := map[[2]int]int{}
	for x, v := range []int{2, 2, 2, 5, 6, 7, 1, 1} {
		idx[[2]int{x, 3}] = v
	}
	for x := 2; x < 8; x++ {
		idx[[2]int{x, 1}] = 4
	}
	idx[[2]int{0, 0}], idx[[2]int{1, 0}] = 9, 9
	wt := newWant(w, h, 4, func(x, y int) [4]byte {
		v, ok := idx[[2]int{x, y}]
		if !ok {
			return [4]byte{}
		}
		c := pal[v]
		return [4]byte{c[0], c[1], c[2], 255}
	})
	img, err := Decode(s.File(), 0)
	check(t, "RLE8", img, err, wt)

	// Fully covered: no alpha channel.
	full := spec{W: 4, H: 2, Hdr: 40, BPP: 8, Comp: 1, Palette: pal, Data: []byte{4, 1, 0, 0, 0, 4, 2, 3, 4, 5, 0, 1}}
	img, err = Decode(full.File(), 0)
	check(t, "RLE8 full", img, err, newWant(4, 2, 3, func(x, y int) [4]byte {
		v := 1
		if y == 0 {
			v = 2 + x
		}
		c := pal[v]
		return [4]byte{c[0], c[1], c[2], 255}
	}))
}

func TestRLE4(t *testing.T) {
	pal := palette(16)
	const w, h = 7, 2
	data := []byte{
		5, 0x12, // 1 2 1 2 1
		0, 3, 0x34, 0x50, // literal 3, 4, 5 (2 bytes, even: no pad)
		0, 0,
		0, 5, 0xab, 0xcd, 0xe0, 0, // literal a b c d e (3 bytes + pad)
		0, 1,
	}
	s := spec{W: w, H: h, Hdr: 40, BPP: 4, Comp: 2, Palette: pal, Data: data}
	rowsIdx := [][]int{{10, 11, 12, 13, 14, -1, -1}, {1, 2, 1, 2, 1, 3, 4}} // top row first; 5 is dropped
	wt := newWant(w, h, 4, func(x, y int) [4]byte {
		v := rowsIdx[y][x]
		if v < 0 {
			return [4]byte{}
		}
		c := pal[v]
		return [4]byte{c[0], c[1], c[2], 255}
	})
	img, err := Decode(s.File(), 0)
	check(t, "RLE4", img, err, wt)
}

func TestRLE24OS2(t *testing.T) {
	const w, h = 5, 1
	data := []byte{2, 10, 20, 30, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 1} // run of BGR(10,20,30), literal of 3 (+pad)
	s := spec{W: w, H: h, Hdr: 64, BPP: 24, Comp: 4, Data: data}
	want := [][4]byte{{30, 20, 10, 255}, {30, 20, 10, 255}, {3, 2, 1, 255}, {6, 5, 4, 255}, {9, 8, 7, 255}}
	img, err := Decode(s.File(), 0)
	check(t, "RLE24", img, err, newWant(w, h, 3, func(x, y int) [4]byte { return want[x] }))
}

// TestOracle compares with golang.org/x/image/bmp on the files it writes
// (8-bit paletted, 24-bit, 32-bit). For the 32-bit file (40-byte header,
// BI_RGB, alpha in the fourth byte) x/image ignores the alpha, where we
// read it like imgproxy does: alpha is checked against the source image.
func TestOracle(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 9, 7))
	rgba := image.NewNRGBA(image.Rect(0, 0, 9, 7))
	pal := image.NewPaletted(image.Rect(0, 0, 9, 7), color.Palette{color.RGBA{1, 2, 3, 255}, color.RGBA{200, 100, 0, 255}, color.RGBA{9, 99, 199, 255}})
	for y := 0; y < 7; y++ {
		for x := 0; x < 9; x++ {
			gray.SetGray(x, y, color.Gray{uint8(x*20 + y)})
			rgba.SetNRGBA(x, y, color.NRGBA{uint8(x * 25), uint8(y * 30), 77, uint8(20 + x*20)})
			pal.SetColorIndex(x, y, uint8((x+y)%3))
		}
	}
	for name, m := range map[string]image.Image{"gray": gray, "rgba": rgba, "paletted": pal} {
		var buf bytes.Buffer
		if err := xbmp.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		ref, err := xbmp.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		img, err := Decode(buf.Bytes(), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for y := 0; y < 7; y++ {
			for x := 0; x < 9; x++ {
				c := color.NRGBAModel.Convert(ref.At(x, y)).(color.NRGBA)
				r, g, b := c.R, c.G, c.B
				a := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA).A
				p := img.Pix[(y*9+x)*img.Channels:]
				ga := byte(255)
				if img.Channels == 4 {
					ga = p[3]
				}
				if p[0] != r || p[1] != g || p[2] != b || ga != a {
					t.Fatalf("%s (%d,%d): got %v; want %v", name, x, y, p[:img.Channels], []byte{r, g, b, a})
				}
			}
		}
	}
}

func TestIcon(t *testing.T) {
	const w, h = 10, 3
	mask := func(x, y int) bool { return (x+y)%3 == 0 } // transparent where set
	maskRows := rows(h, false, func(y int) []byte {
		b := make([]byte, (w+7)/8)
		for x := 0; x < w; x++ {
			if mask(x, y) {
				b[x/8] |= 0x80 >> (x % 8)
			}
		}
		return b
	})
	pal := palette(16)
	s := spec{W: w, H: h, Hdr: 40, BPP: 4, Palette: pal, Data: rows(h, false, func(y int) []byte {
		idx := make([]int, w)
		for x := range idx {
			idx[x] = (x + 2*y) % 16
		}
		return packIndexes(idx, 4)
	})}
	dib := s.Icon(maskRows)
	img, err := DecodeIcon(dib, 0)
	check(t, "4-bit icon", img, err, newWant(w, h, 4, func(x, y int) [4]byte {
		c := pal[(x+2*y)%16]
		if mask(x, y) {
			return [4]byte{c[0], c[1], c[2], 0}
		}
		return [4]byte{c[0], c[1], c[2], 255}
	}))

	// 32-bit: alpha wins over the mask; all-zero alpha falls back to it.
	for _, alpha := range []bool{true, false} {
		px := rows(h, false, func(y int) []byte {
			var r []byte
			for x := 0; x < w; x++ {
				a := byte(0)
				if alpha {
					a = byte(x * 25)
				}
				r = append(r, byte(y), byte(x), 7, a)
			}
			return r
		})
		s := spec{W: w, H: h, Hdr: 40, BPP: 32, Data: px}
		dib := s.Icon(maskRows)
		img, err := DecodeIcon(dib, 0)
		check(t, fmt.Sprintf("32-bit icon alpha=%v", alpha), img, err, newWant(w, h, 4, func(x, y int) [4]byte {
			switch {
			case alpha:
				return [4]byte{7, byte(x), byte(y), byte(x * 25)}
			case mask(x, y):
				return [4]byte{7, byte(x), byte(y), 0}
			}
			return [4]byte{7, byte(x), byte(y), 255}
		}))
	}
	// Without an AND mask the icon is opaque.
	img, err = DecodeIcon(s.Icon(nil), 0)
	check(t, "icon without mask", img, err, newWant(w, h, 3, func(x, y int) [4]byte {
		c := pal[(x+2*y)%16]
		return [4]byte{c[0], c[1], c[2], 255}
	}))
}

func TestErrors(t *testing.T) {
	ok := spec{W: 4, H: 4, Hdr: 40, BPP: 24, Data: make([]byte, 48)}
	f := func(name string, data []byte, max int64, want error) {
		t.Helper()
		_, err := Decode(data, max)
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v; want %v", name, err, want)
		}
	}
	f("truncated pixels", ok.File()[:14+40+40], 0, ErrInvalid)
	f("short file", []byte("BM1234"), 0, ErrInvalid)
	f("not BMP", []byte("XX"+string(make([]byte, 60))), 0, ErrInvalid)
	jpeg := ok
	jpeg.Comp = 4
	f("embedded JPEG", jpeg.File(), 0, ErrUnsupported)
	png := ok
	png.Comp = 5
	f("embedded PNG", png.File(), 0, ErrUnsupported)
	huff := spec{W: 4, H: 4, Hdr: 64, BPP: 1, Comp: 3, Palette: palette(2), Data: make([]byte, 16)}
	f("OS/2 Huffman", huff.File(), 0, ErrUnsupported)
	bad := ok
	bad.BPP = 7
	f("7 bits", bad.File(), 0, ErrUnsupported)
	rle := spec{W: 4, H: 4, Hdr: 40, BPP: 24, Comp: 1, Data: make([]byte, 8)}
	f("RLE8 with 24 bits", rle.File(), 0, ErrInvalid)
	td := spec{W: 4, H: 4, Hdr: 40, BPP: 8, Comp: 1, TopDown: true, Palette: palette(2), Data: []byte{0, 1}}
	f("top-down RLE", td.File(), 0, ErrInvalid)
	zero := ok
	zero.W = 0
	f("zero width", zero.File(), 0, ErrInvalid)
	f("over the caller's limit", ok.File(), 15, ErrTooLarge)
	huge := spec{W: 60000, H: 60000, Hdr: 40, BPP: 8, Comp: 1, Palette: palette(2), Data: []byte{0, 1}}
	f("RLE flood", huge.File(), 50_000_000, ErrTooLarge)
	f("RLE flood without a limit", huge.File(), 0, ErrTooLarge)
	if _, err := Decode(ok.File(), 16); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// TestBadOffset: an offset inside the headers or past the end is ignored.
func TestBadOffset(t *testing.T) {
	for _, off := range []int{3, 1 << 30} {
		s := spec{W: 2, H: 1, Hdr: 40, BPP: 24, Data: []byte{1, 2, 3, 4, 5, 6, 0, 0}}
		b := s.File()
		le32b(b[10:], uint32(off))
		img, err := Decode(b, 0)
		check(t, fmt.Sprintf("offset %d", off), img, err, newWant(2, 1, 3, func(x, y int) [4]byte {
			if x == 0 {
				return [4]byte{3, 2, 1, 255}
			}
			return [4]byte{6, 5, 4, 255}
		}))
	}
}
