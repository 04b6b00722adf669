package vips

import (
	"context"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/bmp/bmptest"
)

var bmpTestPalette = [][3]byte{{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30},
	{200, 100, 50}, {1, 2, 3}, {128, 128, 128}, {64, 0, 64}, {0, 64, 64}, {9, 9, 9}, {250, 250, 0}, {17, 34, 51},
	{99, 88, 77}, {240, 15, 15}}

// TestBMPVariants: bitmaps golang.org/x/image/bmp cannot read (1, 4 and
// 16 bits, RLE8, RLE4) go through the pipeline with the right pixels.
func TestBMPVariants(t *testing.T) {
	p := newTestProcessor(t, nil)
	const w, h = 6, 3
	idx := func(x, y int) int { return (x + 3*y) % 16 }
	paletted := func(bpp int) []byte {
		return bmptest.Rows(h, false, func(y int) []byte {
			row := make([]int, w)
			for x := range row {
				row[x] = idx(x, y) % (1 << bpp)
			}
			return bmptest.PackIndexes(row, bpp)
		})
	}
	opaque := func(c [3]byte) [4]byte { return [4]byte{c[0], c[1], c[2], 255} }
	for _, tc := range []struct {
		name string
		s    bmptest.Spec
		px   func(x, y int) [4]byte
	}{
		{"1-bit", bmptest.Spec{Hdr: 40, BPP: 1, Palette: bmpTestPalette[:2], Data: paletted(1)},
			func(x, y int) [4]byte { return opaque(bmpTestPalette[idx(x, y)%2]) }},
		{"4-bit", bmptest.Spec{Hdr: 40, BPP: 4, Palette: bmpTestPalette, Data: paletted(4)},
			func(x, y int) [4]byte { return opaque(bmpTestPalette[idx(x, y)]) }},
		{"16-bit 565", bmptest.Spec{Hdr: 40, BPP: 16, Comp: 3, Masks: []uint32{0xf800, 0x7e0, 0x1f},
			Data: bmptest.Rows(h, false, func(y int) []byte {
				var r []byte
				for x := 0; x < w; x++ {
					r = append(r, 0x00, 0xf8) // pure red in 565
				}
				return r
			})},
			func(x, y int) [4]byte { return [4]byte{255, 0, 0, 255} }},
		// Bottom row 2 2 2 2 2 2, middle row skipped by a delta, top row 1 1 then end of bitmap.
		{"RLE8", bmptest.Spec{Hdr: 40, BPP: 8, Comp: 1, Palette: bmpTestPalette,
			Data: []byte{6, 2, 0, 2, 0, 1, 0, 0, 2, 1, 0, 1}},
			func(x, y int) [4]byte {
				switch {
				case y == 2:
					return opaque(bmpTestPalette[2])
				case y == 0 && x < 2:
					return opaque(bmpTestPalette[1])
				}
				return [4]byte{}
			}},
		{"RLE4", bmptest.Spec{Hdr: 40, BPP: 4, Comp: 2, Palette: bmpTestPalette,
			Data: []byte{6, 0x34, 0, 0, 6, 0x34, 0, 0, 6, 0x34, 0, 1}},
			func(x, y int) [4]byte { return opaque(bmpTestPalette[3+x%2]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.W, tc.s.H = w, h
			o := defaultOptions()
			o.Format = options.FormatPNG
			out, res := process(t, p, tc.s.File(), o, nil)
			if res.SrcFormat != options.FormatBMP || res.Width != w || res.Height != h {
				t.Fatalf("got %s %dx%d; want bmp %dx%d", res.SrcFormat, res.Width, res.Height, w, h)
			}
			pix, _, _ := pixels(t, out)
			ch := len(pix) / (w * h)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					want := tc.px(x, y)
					got := pix[(y*w+x)*ch:][:ch]
					a := byte(255)
					if ch == 4 {
						a = got[3]
					}
					if a != want[3] || a != 0 && (got[0] != want[0] || got[1] != want[1] || got[2] != want[2]) {
						t.Fatalf("pixel (%d,%d): got %v; want %v", x, y, got, want)
					}
				}
			}
		})
	}
}

// TestBMPRefused: an 8-bit BMP with a 2-colour palette and a pixel of
// index 200 is a broken image (422), not a crash (500); a few bytes of RLE
// declaring 60000×60000 are refused from the header, before decoding.
func TestBMPRefused(t *testing.T) {
	p := newTestProcessor(t, nil)
	for _, tc := range []struct {
		name string
		s    bmptest.Spec
		want options.ErrorKind
	}{
		{"palette index 200 of 2", bmptest.Spec{W: 4, H: 2, Hdr: 40, BPP: 8, Palette: bmpTestPalette[:2],
			Data: bmptest.Rows(2, false, func(y int) []byte { return []byte{0, 1, 200, 1} })}, options.KindBrokenImage},
		{"RLE flood", bmptest.Spec{W: 60000, H: 60000, Hdr: 40, BPP: 8, Comp: 1, Palette: bmpTestPalette, Data: []byte{0, 1}},
			options.KindSourceTooBig},
	} {
		o := defaultOptions()
		o.Width = 10
		out, err := processBytes(context.Background(), p, tc.s.File(), &o, nil)
		out.Release()
		if kindOf(err) != tc.want {
			t.Errorf("%s: got %v; want %v", tc.name, err, tc.want)
		}
	}
}

// TestICODecodesProbedEntry: the entry decoded is the one the probe chose
// and checked (the largest), also when it is a DIB the old decoder refused
// (16-bit bit fields) next to a smaller PNG.
func TestICODecodesProbedEntry(t *testing.T) {
	p := newTestProcessor(t, nil)
	const w, h = 20, 10
	dib := bmptest.Spec{W: w, H: h, Hdr: 40, BPP: 16, Comp: 3, Masks: []uint32{0xf800, 0x7e0, 0x1f},
		Data: bmptest.Rows(h, false, func(y int) []byte {
			var r []byte
			for x := 0; x < w; x++ {
				r = append(r, 0x1f, 0x00) // blue
			}
			return r
		})}
	mask := bmptest.Rows(h, false, func(y int) []byte {
		if y == 0 {
			return []byte{0xff, 0xff, 0xf0} // top row transparent
		}
		return []byte{0, 0, 0}
	})
	small := pngBytes(t, testPattern(8, 8, false))
	ico := bmptest.ICO([]byte{8, w}, []byte{8, h}, small, dib.Icon(mask))
	o := defaultOptions()
	o.Format = options.FormatPNG
	out, res := process(t, p, ico, o, nil)
	if res.SrcWidth != w || res.SrcHeight != h || res.Width != w || res.Height != h {
		t.Fatalf("got source %dx%d, result %dx%d; want %dx%d", res.SrcWidth, res.SrcHeight, res.Width, res.Height, w, h)
	}
	pix, _, _ := pixels(t, out)
	if len(pix) != w*h*4 {
		t.Fatalf("got %d bytes; want RGBA", len(pix))
	}
	if got := pix[:4]; got[3] != 0 {
		t.Errorf("top-left pixel %v; want transparent (AND mask)", got)
	}
	if got := pix[(w*h-1)*4:]; got[0] != 0 || got[1] != 0 || got[2] != 255 || got[3] != 255 {
		t.Errorf("bottom-right pixel %v; want opaque blue", got)
	}
}
