package vips

import (
	"bytes"
	"context"
	goimage "image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// Tests of imgproxy Pro's watermark, style and pdf features: small images,
// PNG results so that "unchanged" is exact.

func solid(w, h int, c color.NRGBA) *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

var (
	red   = color.NRGBA{255, 0, 0, 255}
	white = color.NRGBA{255, 255, 255, 255}
)

// markRun processes a white w×h PNG to PNG with wm and wmData as the
// bytes of wm.URL, and returns its RGBA pixels.
func markRun(t *testing.T, p *Processor, w, h int, wm options.Watermark, wmData []byte) []byte {
	t.Helper()
	o := defaultOptions()
	o.Watermark = wm
	o.Format = options.FormatPNG
	s := options.NewSource(pngBytes(t, solid(w, h, white)), nil)
	if wmData != nil {
		s.Watermarks = map[string][]byte{wm.URL: wmData}
	}
	out, err := p.Process(context.Background(), &s, &o, nil)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	defer out.Release()
	pix, gw, gh := pixels(t, out.Data)
	if gw != w || gh != h {
		t.Fatalf("got %dx%d; want %dx%d", gw, gh, w, h)
	}
	return pix
}

// box returns the bounding box of pixels that are not white.
func box(pix []byte, w, h int) goimage.Rectangle {
	r := goimage.Rectangle{}
	for y := range h {
		for x := range w {
			i := (y*w + x) * 4
			if pix[i] != 255 || pix[i+1] != 255 || pix[i+2] != 255 {
				r = r.Union(goimage.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func at(pix []byte, w, x, y int) color.NRGBA {
	i := (y*w + x) * 4
	return color.NRGBA{pix[i], pix[i+1], pix[i+2], pix[i+3]}
}

func TestWatermarkText(t *testing.T) {
	p := newTestProcessor(t, nil)
	const text = `<span foreground="#ff0000">imgedge</span> <b>Pro</b>`
	runtime.LockOSThread()
	ref, err := newText(text, p.cfg.WatermarkFont, 72, "")
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	tw, th := ref.width(), ref.height()
	ref.close()
	const W, H, off = 200, 80, 7
	pix := markRun(t, p, W, H, options.Watermark{Opacity: 1, Text: text,
		Position: options.Gravity{Type: options.GravitySouthEast, X: off, Y: off}}, nil)
	want := goimage.Rect(W-off-tw, H-off-th, W-off, H-off)
	got := box(pix, W, H)
	if got.Empty() || !got.In(want) {
		t.Fatalf("text drawn in %v; want inside the computed box %v", got, want)
	}
	// Red and black ink: the markup's colours are used.
	var reds, darks int
	for y := got.Min.Y; y < got.Max.Y; y++ {
		for x := got.Min.X; x < got.Max.X; x++ {
			c := at(pix, W, x, y)
			if c.R > 200 && c.G < 60 && c.B < 60 {
				reds++
			}
			if c.R < 60 && c.G < 60 && c.B < 60 {
				darks++
			}
		}
	}
	if reds == 0 || darks == 0 {
		t.Fatalf("got %d red and %d black pixels; want both", reds, darks)
	}
	// Too large to draw: refused before rendering at full size.
	o := defaultOptions()
	o.Watermark = options.Watermark{Opacity: 1, Text: `<span size="500pt">` + strings.Repeat("X\n", 40) + `</span>`}
	if _, err := processBytes(context.Background(), p, pngBytes(t, solid(8, 8, white)), &o, nil); kindOf(err) != options.KindResultTooBig {
		t.Fatalf("huge text: got %v; want KindResultTooBig", err)
	}
}

func TestWatermarkURLImage(t *testing.T) {
	p := newTestProcessor(t, nil)
	mark := pngBytes(t, solid(20, 10, red))
	const W, H = 100, 60
	wm := options.Watermark{Opacity: 1, URL: "http://x/mark.png", Position: options.Gravity{Type: options.GravityNorthWest, X: 3, Y: 4}}
	pix := markRun(t, p, W, H, wm, mark)
	if got := box(pix, W, H); got != goimage.Rect(3, 4, 23, 14) {
		t.Fatalf("mark at %v; want (3,4)-(23,14)", got)
	}
	// Cached by URL: the bytes are no longer needed for it.
	if got := box(markRun(t, p, W, H, wm, nil), W, H); got != goimage.Rect(3, 4, 23, 14) {
		t.Fatalf("cached mark at %v", got)
	}
	// An URL never fetched and not cached is a bug in the caller.
	o := defaultOptions()
	o.Watermark = options.Watermark{Opacity: 1, URL: "http://x/other.png"}
	if _, err := processBytes(context.Background(), p, pngBytes(t, solid(8, 8, white)), &o, nil); err == nil {
		t.Fatal("a watermark_url without bytes was processed")
	}
	// A mark over the source resolution limit is refused like a source.
	o.Limits.MaxSrcResolution = 100
	s := options.NewSource(pngBytes(t, solid(8, 8, white)), nil)
	s.Watermarks = map[string][]byte{o.Watermark.URL: mark}
	if _, err := p.Process(context.Background(), &s, &o, nil); kindOf(err) != options.KindSourceTooBig {
		t.Fatalf("big mark: got %v; want KindSourceTooBig", err)
	}
}

func TestWatermarkSizeRotateShadow(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.WatermarksCacheSize = 0 }) // decode every time
	mark := pngBytes(t, solid(20, 10, red))
	const W, H = 120, 120
	run := func(wm options.Watermark) (goimage.Rectangle, []byte) {
		wm.Opacity, wm.URL = 1, "http://x/m.png"
		pix := markRun(t, p, W, H, wm, mark)
		return box(pix, W, H), pix
	}
	centred := func(w, h int) goimage.Rectangle {
		x, y := (W-w+1)/2, (H-h+1)/2
		return goimage.Rect(x, y, x+w, y+h)
	}
	for _, tc := range []struct {
		name string
		wm   options.Watermark
		want goimage.Rectangle
	}{
		{"size width", options.Watermark{Width: 60}, centred(60, 30)},
		{"size height", options.Watermark{Height: 5}, centred(10, 5)},
		{"size both fits", options.Watermark{Width: 60, Height: 10}, centred(20, 10)},
		{"scale wins", options.Watermark{Width: 60, Scale: 0.5}, centred(60, 30)},
		{"rotate 90", options.Watermark{Rotate: 90}, centred(10, 20)},
		{"rotate 270 sized", options.Watermark{Rotate: 270, Width: 40}, centred(20, 40)},
	} {
		if got, _ := run(tc.wm); got != tc.want {
			t.Errorf("%s: mark at %v; want %v", tc.name, got, tc.want)
		}
	}
	// 45°: the turned mark's bounding box is about (20+10)/√2 on a side,
	// and its corners stay transparent (white here).
	got, pix := run(options.Watermark{Rotate: 45})
	if d := got.Dx(); d < 19 || d > 24 || got.Dy() < 19 || got.Dy() > 24 {
		t.Fatalf("rotate 45: box %v; want about 21x21", got)
	}
	if c := at(pix, W, got.Min.X, got.Min.Y); c != white {
		t.Fatalf("rotate 45: corner %v; want white", c)
	}
	if c := at(pix, W, W/2, H/2); c.R < 250 || c.G > 5 {
		t.Fatalf("rotate 45: centre %v; want red", c)
	}
	// Shadow: grey pixels appear around the mark; the mark stays red.
	plain, _ := run(options.Watermark{})
	got, pix = run(options.Watermark{Shadow: 3})
	if !plain.In(got) || got.Dx() < plain.Dx()+6 || got.Dy() < plain.Dy()+6 {
		t.Fatalf("shadow: box %v; want %v grown by the blur", got, plain)
	}
	below := at(pix, W, W/2, plain.Max.Y+1)
	if below.R != below.G || below.R > 230 || below.R < 60 {
		t.Fatalf("shadow: pixel under the mark %v; want grey", below)
	}
	if c := at(pix, W, W/2, H/2); c.R < 250 || c.G > 5 {
		t.Fatalf("shadow: mark %v; want red", c)
	}
}

func TestWatermarkChessboard(t *testing.T) {
	p := newTestProcessor(t, nil)
	mark := pngBytes(t, solid(10, 10, red))
	const W, H = 50, 50 // 5×5 cells of 10 px: the centre cell is (2,2)
	for _, pos := range []options.GravityType{options.GravityChessboard, options.GravityReplicate} {
		pix := markRun(t, p, W, H, options.Watermark{Opacity: 1, URL: "http://x/c.png", Position: options.Gravity{Type: pos}}, mark)
		for cy := range 5 {
			for cx := range 5 {
				marked := (cx+cy)%2 == 0 || pos == options.GravityReplicate
				if c := at(pix, W, cx*10+5, cy*10+5); (c == red) != marked {
					t.Errorf("%v cell %d,%d: got %v; want marked %v", pos, cx, cy, c, marked)
				}
			}
		}
	}
	// 4×3 cells of 15×20 (spacing 5:10): the grid is centred, the centre
	// cell marked, and its neighbours not.
	pix := markRun(t, p, 60, 60, options.Watermark{Opacity: 1, URL: "http://x/c.png",
		Position: options.Gravity{Type: options.GravityChessboard, X: 5, Y: 10}}, mark)
	if c := at(pix, 60, 30, 30); c != red {
		t.Fatalf("centre: got %v; want red", c)
	}
	for _, xy := range [][2]int{{15, 30}, {45, 30}, {30, 10}, {30, 50}} {
		if c := at(pix, 60, xy[0], xy[1]); c != white {
			t.Errorf("neighbour %v: got %v; want white", xy, c)
		}
	}
}

func TestMarkCacheBounds(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := newMarkCache(2)
	defer c.close()
	for i := range 3 {
		im, err := newBlack(4, 4, 4)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.put(strconv.Itoa(i), im)
		if err != nil {
			t.Fatal(err)
		}
		out.close()
	}
	if c.order.Len() != 2 || c.byKey["0"] != nil || c.size != 2*64 {
		t.Fatalf("got %d entries (%d bytes); want the last 2", c.order.Len(), c.size)
	}
	if im, _ := c.get("2"); im == nil {
		t.Fatal("recent entry missing")
	} else {
		im.close()
	}
	off := newMarkCache(0)
	im, _ := newBlack(4, 4, 4)
	out, _ := off.put("x", im)
	if out != im || off.order.Len() != 0 {
		t.Fatal("a disabled cache stored a mark")
	}
	out.close()
}

const styledSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#ff0000"/></svg>`

func TestStyleSVG(t *testing.T) {
	p := newTestProcessor(t, nil)
	run := func(css string, f options.Format) []byte {
		o := defaultOptions()
		o.Style, o.Format = css, f
		out, _ := process(t, p, []byte(styledSVG), o, nil)
		return out
	}
	centre := func(png []byte) color.NRGBA {
		pix, w, _ := pixels(t, png)
		return at(pix, w, 20, 10)
	}
	if c := centre(run("", options.FormatPNG)); c != red {
		t.Fatalf("no style: got %v; want red", c)
	}
	if c := centre(run("rect { fill: #0000ff }", options.FormatPNG)); c.B < 250 || c.R > 5 {
		t.Fatalf("style: got %v; want blue", c)
	}
	// Passed through as SVG: the style is the root's first child.
	out := run("rect{fill:#00ff00}", options.FormatSVG)
	if !regexp.MustCompile(`^<svg[^>]*><style>rect\{fill:#00ff00\}</style><rect`).Match(out) {
		t.Fatalf("styled svg: got %s", out)
	}
	// Markup in the CSS stays text; external loads drop the element.
	for _, css := range []string{
		`</style><script>alert(1)</script><style>`,
		`rect{fill:url(http://evil.example/x.svg#p)}`,
		`@import "http://evil.example/a.css";`,
		`rect{background:url(javascript:alert(1))}`,
	} {
		out := run(css, options.FormatSVG)
		if bytes.Contains(out, []byte("<script")) || bytes.Contains(out, []byte("evil.example")) || bytes.Contains(out, []byte("javascript")) {
			t.Errorf("style %q: got %s", css, out)
		}
		if c := centre(run(css, options.FormatPNG)); c != red {
			t.Errorf("style %q rendered: got %v; want the original red", css, c)
		}
	}
	// Raster sources ignore the style.
	o := defaultOptions()
	o.Style = "rect{fill:blue}"
	out, res := process(t, p, pngBytes(t, solid(4, 4, red)), o, nil)
	if res.Format != options.FormatPNG || len(out) == 0 {
		t.Fatalf("raster with style: got %v", res.Format)
	}
}

func TestPDFOutput(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.EnablePDF = true })
	o := defaultOptions()
	o.Format = options.FormatPDF
	o.Width = 60
	src := pngBytes(t, testPattern(120, 80, true)) // alpha: flattened onto white
	out, res := process(t, p, src, o, nil)
	if res.Format != options.FormatPDF || res.Width != 60 || res.Height != 40 {
		t.Fatalf("got %v %dx%d; want pdf 60x40", res.Format, res.Width, res.Height)
	}
	checkPDFStructure(t, out)
	// Read back by poppler (libvips' pdfload) into the same picture.
	back, res := process(t, p, out, defaultOptions(), nil)
	if res.SrcFormat != options.FormatPDF || res.Width != 60 || res.Height != 40 {
		t.Fatalf("read back: got %v %dx%d; want a 60x40 pt page", res.SrcFormat, res.Width, res.Height)
	}
	o.Format = options.FormatPNG
	want, _ := process(t, p, src, o, nil)
	a, _, _ := pixels(t, back)
	b, _, _ := pixels(t, want)
	flat := make([]byte, len(b)) // the PNG keeps alpha: compare with it flattened onto white
	for i := 0; i < len(b); i += 4 {
		al := int(b[i+3])
		for c := range 3 {
			flat[i+c] = byte((int(b[i+c])*al + 255*(255-al) + 127) / 255)
		}
		flat[i+3] = 255
	}
	if d := meanDiff(a, flat); d > 3 {
		t.Fatalf("pdf read back differs from the png result by %.2f", d)
	}
	// Grey results are DeviceGray.
	o.Format = options.FormatPDF
	grey, _ := process(t, p, pngBytes(t, goimage.NewGray(goimage.Rect(0, 0, 8, 8))), o, nil)
	if !bytes.Contains(grey, []byte("/DeviceGray")) {
		t.Fatal("grey result is not DeviceGray")
	}
	checkPDFStructure(t, grey)
}

// checkPDFStructure checks what poppler would otherwise repair silently:
// the header, that every cross-reference entry points at its object, that
// startxref points at the table, and that stream lengths are right.
func checkPDFStructure(t *testing.T, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("not a PDF header/trailer")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n \n`).FindAllSubmatch(pdf[xref:], -1)
	if len(entries) != 5 {
		t.Fatalf("got %d objects; want 5", len(entries))
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := strconv.Itoa(i+1) + " 0 obj\n"; !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Fatalf("xref entry %d points at %q", i+1, pdf[off:off+10])
		}
	}
	for _, s := range regexp.MustCompile(`/Length (\d+) >>\nstream\n`).FindAllSubmatchIndex(pdf, -1) {
		n, _ := strconv.Atoi(string(pdf[s[2]:s[3]]))
		if !bytes.HasPrefix(pdf[s[1]+n:], []byte("\nendstream")) {
			t.Fatalf("stream at %d: /Length %d is wrong", s[1], n)
		}
	}
}

func TestWatermarkFontsDir(t *testing.T) {
	// A font family the system does not have: DejaVu Serif (fontconfig's
	// own default fonts) renamed in its name table.
	const system = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
	font, err := os.ReadFile(system)
	if err != nil {
		t.Skipf("no font to copy: %v", err)
	}
	rename := func(from, to string) {
		utf16 := func(s string) []byte {
			var b []byte
			for _, c := range s {
				b = append(b, 0, byte(c))
			}
			return b
		}
		font = bytes.ReplaceAll(font, utf16(from), utf16(to))
		font = bytes.ReplaceAll(font, []byte(from), []byte(to))
	}
	rename("DejaVu Serif", "Imgedge Font") // same length: offsets stay
	rename("DejaVuSerif", "ImgedgeFont")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "font.ttf"), font, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a font"), 0o644)  // not a font name: skipped
	os.WriteFile(filepath.Join(dir, "broken.otf"), []byte("not a font"), 0o644) // fontconfig skips it
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	render := func(font string) []byte {
		im, err := newText("Hgx", font, 72, "")
		if err != nil {
			t.Fatal(err)
		}
		defer im.close()
		pix, err := im.pixels()
		if err != nil {
			t.Fatal(err)
		}
		return append([]byte(strconv.Itoa(im.width())+"x"+strconv.Itoa(im.height())+":"), pix...)
	}
	serif := render("DejaVu Serif 30")
	if bytes.Equal(render("Imgedge Font 30"), serif) {
		t.Skip("the renamed family already resolves to DejaVu Serif")
	}
	if err := loadFonts(dir); err != nil {
		t.Fatalf("loadFonts: %v", err)
	}
	if !bytes.Equal(render("Imgedge Font 30"), serif) {
		t.Fatal("the font of IMGEDGE_WATERMARK_FONTS_DIR is not used by its family name")
	}
	if err := loadFonts(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing directory was accepted")
	}
}

// A chained request may watermark in several pipelines, each with its own
// mark (the prepared mark is per pipeline, the bytes per URL).
func TestWatermarkChained(t *testing.T) {
	p := newTestProcessor(t, nil)
	first := defaultOptions()
	first.Watermark = options.Watermark{Opacity: 1, URL: "http://x/red.png", Position: options.Gravity{Type: options.GravityNorthWest}}
	last := defaultOptions()
	last.Format = options.FormatPNG
	last.Watermark = options.Watermark{Opacity: 1, URL: "http://x/blue.png", Position: options.Gravity{Type: options.GravitySouthEast}}
	last.Previous = &first
	s := options.NewSource(pngBytes(t, solid(40, 30, white)), nil)
	s.Watermarks = map[string][]byte{
		"http://x/red.png":  pngBytes(t, solid(10, 10, red)),
		"http://x/blue.png": pngBytes(t, solid(10, 10, color.NRGBA{0, 0, 255, 255})),
	}
	out, err := p.Process(context.Background(), &s, &last, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	pix, w, _ := pixels(t, out.Data)
	if c := at(pix, w, 2, 2); c != red {
		t.Errorf("first pipeline's mark: got %v; want red", c)
	}
	if c := at(pix, w, 37, 27); c != (color.NRGBA{0, 0, 255, 255}) {
		t.Errorf("last pipeline's mark: got %v; want blue", c)
	}
	if c := at(pix, w, 20, 15); c != white {
		t.Errorf("centre: got %v; want white", c)
	}
}
