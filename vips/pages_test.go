package vips

import (
	goimage "image"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/testimage"
)

// pageColours are the colours of the generated pages, in order.
var pageColours = [][3]byte{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}}

// pagedSource returns a source of format f with the pages of
// pageColours, each w×h (f: TIFF, GIF or WebP; PDF in TestPagesPDF).
func pagedSource(t *testing.T, f options.Format, w, h int) []byte {
	t.Helper()
	stack := goimage.NewNRGBA(goimage.Rect(0, 0, w, h*len(pageColours)))
	for i := 0; i < len(stack.Pix); i += 4 {
		c := pageColours[i/4/w/h]
		copy(stack.Pix[i:], []byte{c[0], c[1], c[2], 255})
	}
	im := gvLoad(t, pngBytes(t, stack))
	defer im.Close()
	must(t, im.SetPageHeight(h))
	if f != options.FormatTIFF {
		must(t, im.SetPageDelay([]int{100, 100, 100, 100}))
	}
	return encodeAs(t, im, f)
}

// bandColours returns the average colour of each h-pixel band of an
// encoded result, top to bottom.
func bandColours(t *testing.T, out []byte, h int) (w int, bands [][3]int) {
	t.Helper()
	pix, w, total := pixels(t, out)
	for y0 := 0; y0+h <= total; y0 += h {
		var sum [3]int
		for y := y0; y < y0+h; y++ {
			for x := range w {
				for c := range 3 {
					sum[c] += int(pix[4*(y*w+x)+c])
				}
			}
		}
		bands = append(bands, [3]int{sum[0] / (w * h), sum[1] / (w * h), sum[2] / (w * h)})
	}
	return w, bands
}

// wantPages compares band colours with pageColours[first:first+n].
func wantPages(t *testing.T, got [][3]int, first, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d pages %v; want %d from page %d", len(got), got, n, first)
	}
	for i, c := range got {
		w := pageColours[first+i]
		for k := range 3 {
			if d := c[k] - int(w[k]); d > 12 || d < -12 {
				t.Fatalf("page %d is %v; want %v (page %d)", i, c, w, first+i)
			}
		}
	}
}

func TestPages(t *testing.T) {
	p := newTestProcessor(t, nil)
	for _, f := range []options.Format{options.FormatTIFF, options.FormatGIF, options.FormatWebP} {
		src := pagedSource(t, f, 20, 10)
		t.Run(f.String(), func(t *testing.T) {
			run := func(page, pages int) [][3]int {
				o := defaultOptions()
				o.Format, o.Page, o.Pages = options.FormatPNG, page, pages
				out, _ := process(t, p, src, o, nil)
				w, bands := bandColours(t, out, 10)
				if w != 20 {
					t.Fatalf("page %d, pages %d: width %d; want 20", page, pages, w)
				}
				return bands
			}
			wantPages(t, run(0, 0), 0, 1)
			wantPages(t, run(1, 0), 1, 1)
			wantPages(t, run(1, 2), 1, 2)
			wantPages(t, run(0, 4), 0, 4)
			wantPages(t, run(2, 10), 2, 2) // cut to the pages there are
			o := defaultOptions()
			o.Page = 4
			if _, err := processBytes(t.Context(), p, src, &o, nil); kindOf(err) != options.KindInvalidURL {
				t.Errorf("page past the end: got %v; want KindInvalidURL", err)
			}
		})
	}
}

// TestPagesResolutionLimit: a stack is held to the resolution limit
// before it is decoded.
func TestPagesResolutionLimit(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pagedSource(t, options.FormatTIFF, 20, 10)
	o := defaultOptions()
	o.Format, o.Pages, o.Limits.MaxSrcResolution = options.FormatPNG, 3, 20*10*3
	if _, err := processBytes(t.Context(), p, src, &o, nil); err != nil {
		t.Fatalf("3 pages at the limit: %v", err)
	}
	o.Pages = 4
	if _, err := processBytes(t.Context(), p, src, &o, nil); kindOf(err) != options.KindSourceTooBig {
		t.Fatalf("4 pages over the limit: got %v; want KindSourceTooBig", err)
	}
}

func TestDisableAnimation(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pagedSource(t, options.FormatGIF, 20, 10)
	frames := func(out []byte) int {
		ip := gv.NewImportParams()
		ip.NumPages.Set(-1)
		im, err := gv.LoadImageFromBuffer(out, ip)
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		return im.Height() / im.PageHeight()
	}
	o := defaultOptions()
	o.Format, o.Page, o.Limits.MaxAnimationFrames = options.FormatGIF, 2, 10
	out, _ := process(t, p, src, o, nil)
	if n := frames(out); n != 4 {
		t.Fatalf("animated GIF with page 2: %d frames; want all 4 (page ignored)", n)
	}
	o.DisableAnimation = true
	out, _ = process(t, p, src, o, nil)
	if n := frames(out); n != 1 {
		t.Fatalf("disable_animation: %d frames; want a still", n)
	}
	_, bands := bandColours(t, out, 10)
	wantPages(t, bands, 2, 1)
	o.Page, o.Pages = 1, 2
	out, _ = process(t, p, src, o, nil)
	if n := frames(out); n != 1 {
		t.Fatalf("disable_animation with 2 pages: %d frames; want one still stack", n)
	}
	_, bands = bandColours(t, out, 10)
	wantPages(t, bands, 1, 2)
}

func TestPagesPDF(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.EnablePDF = true })
	var cols [][3]float64
	for _, c := range pageColours {
		cols = append(cols, [3]float64{float64(c[0]) / 255, float64(c[1]) / 255, float64(c[2]) / 255})
	}
	src := testimage.PDFPages(20, 10, cols...)
	o := defaultOptions()
	o.Format, o.Page = options.FormatPNG, 1
	out, _ := process(t, p, src, o, nil)
	_, bands := bandColours(t, out, 10)
	wantPages(t, bands, 1, 1)
	o.Page, o.Pages = 2, 2
	out, _ = process(t, p, src, o, nil)
	_, bands = bandColours(t, out, 10)
	wantPages(t, bands, 2, 2)
}
