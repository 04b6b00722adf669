package vips

import (
	"testing"
)

func TestPixelate(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := testPattern(64, 48, false)
	o := defaultOptions()
	o.Pixelate = 8
	out, _ := process(t, p, pngBytes(t, src), o, nil)
	pix, w, h := pixels(t, out)
	// Reference computed in Go: every 8×8 block is its average colour.
	ref := make([]byte, 0, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			bx, by := x/8*8, y/8*8
			var sum [3]int
			for yy := by; yy < by+8; yy++ {
				for xx := bx; xx < bx+8; xx++ {
					c := src.NRGBAAt(xx, yy)
					sum[0] += int(c.R)
					sum[1] += int(c.G)
					sum[2] += int(c.B)
				}
			}
			ref = append(ref, byte(sum[0]/64), byte(sum[1]/64), byte(sum[2]/64), 255)
		}
	}
	if d := meanDiff(pix, ref); d > 1 {
		t.Fatalf("mean difference to block averages %.2f; want <= 1", d)
	}
}
