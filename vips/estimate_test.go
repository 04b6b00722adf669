package vips

import (
	"bytes"
	"context"
	goimage "image"
	"image/color"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// estimateCase is one row of the memory accounting table: a source, the
// options, and the size libvips must load it at.
type estimateCase struct {
	name        string
	src         []byte
	f           options.Format
	mod         func(*options.Options)
	wantW       int // loaded width and height of one frame (after shrink-on-load)
	wantH       int
	wantFrames  int
	wantBands   int
	wantBytes   int // bytes per band
	shrinkMatch bool
}

func greyJPEG(t *testing.T, w, h int) []byte {
	m := goimage.NewGray(goimage.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func png16(t *testing.T, w, h int) []byte {
	m := goimage.NewRGBA64(goimage.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetRGBA64(x, y, color.RGBA64{uint16(x * 300), uint16(y * 300), 4000, 0xffff})
		}
	}
	return pngBytes(t, m)
}

func palettePNG(t *testing.T, w, h int) []byte {
	m := goimage.NewPaletted(goimage.Rect(0, 0, w, h), color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{255, 0, 0, 255}})
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 2)
	}
	return pngBytes(t, m)
}

// animatedSource encodes n stacked w×h frames as f (GIF or WebP).
func animatedSource(t *testing.T, f options.Format, w, h, n int) []byte {
	im := gvLoad(t, pngBytes(t, testPattern(w, h*n, false)))
	defer im.Close()
	must(t, im.SetPageHeight(h))
	delays := make([]int, n)
	for i := range delays {
		delays[i] = 100
	}
	must(t, im.SetPageDelay(delays))
	return encodeAs(t, im, f)
}

func bandBytes(t *testing.T, f bandFormat) int {
	switch f {
	case formatUchar:
		return 1
	case formatUshort:
		return 2
	}
	t.Fatalf("unexpected band format %d", f)
	return 0
}

// TestEstimateDecodedSizeIsExact checks the memory accounting against
// libvips: for each format and shrink-on-load, the estimate's decoded size
// (width × height × frames × bands × bytes per band) is what libvips
// allocates for the image loaded with the parameters the estimate chose,
// and those parameters are the ones the pipeline itself chooses after
// reading the header with libvips.
func TestEstimateDecodedSizeIsExact(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestProcessor(t, nil)
	w := func(n int) func(*options.Options) { return func(o *options.Options) { o.Width = n } }
	fill := func(w, h int) func(*options.Options) {
		return func(o *options.Options) { o.Width, o.Height, o.ResizingType = w, h, options.ResizeFill }
	}
	jpg := sourceSized(t, options.FormatJPEG, 801, 601, false)
	webp := sourceSized(t, options.FormatWebP, 801, 601, false)
	cases := []estimateCase{
		{"jpeg shrink 8 rounds down", jpg, options.FormatJPEG, w(100), 100, 75, 1, 3, 1, true},
		{"jpeg shrink 2", jpg, options.FormatJPEG, w(300), 400, 300, 1, 3, 1, true},
		{"jpeg no shrink", jpg, options.FormatJPEG, w(700), 801, 601, 1, 3, 1, true},
		{"jpeg fill crop", jpg, options.FormatJPEG, fill(100, 100), 200, 150, 1, 3, 1, true},
		{"jpeg rotated", jpg, options.FormatJPEG, func(o *options.Options) { o.Width, o.Rotate = 150, 90 }, 200, 150, 1, 3, 1, true},
		{"jpeg grey", greyJPEG(t, 640, 480), options.FormatJPEG, w(160), 160, 120, 1, 1, 1, true},
		{"jpeg trim loads full size", jpg, options.FormatJPEG, func(o *options.Options) { o.Width, o.Trim.Enabled = 100, true }, 801, 601, 1, 3, 1, false},
		{"webp scale 1/8 rounds", webp, options.FormatWebP, w(100), 100, 75, 1, 3, 1, true},
		{"webp scale 1/2 rounds half to even", webp, options.FormatWebP, w(300), 400, 300, 1, 3, 1, true},
		{"webp alpha", sourceSized(t, options.FormatWebP, 400, 300, true), options.FormatWebP, w(100), 100, 75, 1, 4, 1, true},
		{"webp animated", animatedSource(t, options.FormatWebP, 60, 40, 3), options.FormatWebP,
			func(o *options.Options) { o.Width, o.Format, o.Limits.MaxAnimationFrames = 30, options.FormatWebP, 10 }, 60, 40, 3, 3, 1, true},
		{"png rgba", sourceSized(t, options.FormatPNG, 300, 200, true), options.FormatPNG, w(100), 300, 200, 1, 4, 1, true},
		{"png rgb", sourceSized(t, options.FormatPNG, 300, 200, false), options.FormatPNG, w(100), 300, 200, 1, 3, 1, true},
		{"png 16-bit", png16(t, 120, 80), options.FormatPNG, w(60), 120, 80, 1, 3, 2, true},
		{"png palette with transparency", palettePNG(t, 90, 70), options.FormatPNG, w(30), 90, 70, 1, 4, 1, true},
		{"gif", sourceSized(t, options.FormatGIF, 200, 100, false), options.FormatGIF, w(50), 200, 100, 1, 3, 1, true},
		{"gif animated", animatedSource(t, options.FormatGIF, 60, 40, 4), options.FormatGIF,
			func(o *options.Options) { o.Width, o.Format, o.Limits.MaxAnimationFrames = 30, options.FormatGIF, 10 }, 60, 40, 4, 4, 1, true},
		{"gif animated, one frame allowed", animatedSource(t, options.FormatGIF, 60, 40, 4), options.FormatGIF, w(30), 60, 40, 1, 4, 1, true},
		{"tiff", sourceSized(t, options.FormatTIFF, 200, 100, false), options.FormatTIFF, w(50), 200, 100, 1, 3, 1, true},
		{"tiff alpha", sourceSized(t, options.FormatTIFF, 200, 100, true), options.FormatTIFF, w(50), 200, 100, 1, 4, 1, true},
		{"bmp", sourceSized(t, options.FormatBMP, 200, 100, false), options.FormatBMP, w(50), 200, 100, 1, 3, 1, true},
		{"ico png entry", sourceSized(t, options.FormatICO, 64, 48, true), options.FormatICO, w(16), 64, 48, 1, 4, 1, true},
		{"svg scaled down", sourceSized(t, options.FormatSVG, 0, 0, false), options.FormatSVG, w(80), 80, 60, 1, 4, 1, true},
		{"svg scaled up", sourceSized(t, options.FormatSVG, 0, 0, false), options.FormatSVG, w(400), 400, 300, 1, 4, 1, true},
	}
	for _, f := range []options.Format{options.FormatAVIF, options.FormatHEIC, options.FormatJXL} {
		if CanLoad(f) {
			cases = append(cases, estimateCase{f.String(), sourceSized(t, f, 240, 160, false), f, w(60), 240, 160, 1, 3, 1, true})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOptions()
			o.Format = options.FormatPNG
			c.mod(&o)
			m, err := p.memoryPlan(c.src, &o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.loadW != c.wantW || m.loadH != c.wantH || m.frames != c.wantFrames || m.bands != c.wantBands || m.bpb != c.wantBytes {
				t.Fatalf("estimate %dx%d×%d frames, %d bands of %d bytes; want %dx%d×%d, %d of %d", m.loadW, m.loadH, m.frames,
					m.bands, m.bpb, c.wantW, c.wantH, c.wantFrames, c.wantBands, c.wantBytes)
			}
			// What libvips allocates when loading with the estimate's parameters.
			im, err := p.load(svgUTF8(c.src), c.f, m.lp)
			if err != nil {
				t.Fatal(err)
			}
			defer im.close()
			got := int64(im.width()) * int64(im.height()) * int64(im.bands()) * int64(bandBytes(t, im.bandFormat()))
			if got != m.decoded() {
				t.Fatalf("libvips loaded %dx%d, %d bands of %d bytes = %d bytes; estimate %d", im.width(), im.height(), im.bands(),
					bandBytes(t, im.bandFormat()), got, m.decoded())
			}
			if !c.shrinkMatch {
				return
			}
			// The pipeline's own choice, from libvips' reading of the header.
			st := &state{p: p, ctx: context.Background(), o: &o, src: c.src, meta: mustProbe(t, p, c.src)}
			defer func() { st.im.close() }()
			if err := st.chooseOutput(nil); err != nil {
				t.Fatal(err)
			}
			if err := st.loadHeader(); err != nil {
				t.Fatal(err)
			}
			for _, s := range []func(*state) error{vectorGuard, plan} {
				if err := s(st); err != nil {
					t.Fatal(err)
				}
			}
			lp := st.shrinkOnLoad()
			if lp != m.lp {
				t.Fatalf("pipeline loads with %+v; estimate assumed %+v", lp, m.lp)
			}
		})
	}
}

func mustProbe(t *testing.T, p *Processor, src []byte) imagemeta.Meta {
	t.Helper()
	var res options.ResultMeta
	m, err := p.probe(src, &res)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEstimateParts: the total counts the source, the decoded image, the
// copies the pipeline makes and the result; a passthrough costs the
// source; errors are Process' errors.
func TestEstimateParts(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceSized(t, options.FormatPNG, 400, 300, false)
	o := defaultOptions()
	o.Width, o.Format = 200, options.FormatJPEG
	n, err := p.Estimate(src, &o, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := int64(len(src)) + 400*300*3 + 200*150*3
	if n != base {
		t.Errorf("plain resize: got %d; want %d (source + decoded + result)", n, base)
	}
	o.Rotate = 90 // 300x400 oriented: 200x267
	want := int64(len(src)) + 400*300*3 + 2*200*267*3
	if n, _ = p.Estimate(src, &o, nil); n != want {
		t.Errorf("rotated: got %d; want %d (source + decoded + the rotated copy + result)", n, want)
	}
	o.Rotate = 0
	o.Width, o.Height, o.Gravity.Type = 100, 100, options.GravitySmart
	o.ResizingType = options.ResizeFill
	want = int64(len(src)) + 400*300*3 + 133*100*3 + 100*100*3
	if n, _ = p.Estimate(src, &o, nil); n != want {
		t.Errorf("smart fill: got %d; want %d (+ the resized copy smartcrop reads)", n, want)
	}
	// A progressive JPEG's decoder keeps its coefficients: 128 bytes per
	// 8×8 block of each component, on top of the shrunk pixels.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, testPattern(801, 601, false), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	jpg := jb.Bytes() // baseline
	o = defaultOptions()
	o.Width, o.Format = 100, options.FormatJPEG
	base, err = p.Estimate(jpg, &o, nil)
	if err != nil {
		t.Fatal(err)
	}
	prog := bytes.Clone(jpg)
	i := bytes.Index(prog, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	prog[i+1] = 0xc2
	blocks := int64(mustProbe(t, p, prog).Blocks)
	if n, err = p.Estimate(prog, &o, nil); err != nil || n != base+blocks*128 || blocks < 801*601*3/2/64 { // 4:2:0: 1.5 samples per pixel
		t.Errorf("progressive: got %d (%v); want %d + %d blocks × 128", n, err, base, blocks)
	}

	// A chained request keeps the first pipeline's result in memory for
	// the second.
	first := defaultOptions()
	first.Width = 200
	o = defaultOptions()
	o.Width, o.Format, o.Previous = 100, options.FormatJPEG, &first
	want = int64(len(src)) + 400*300*3 + 200*150*3 + 100*75*3
	if n, err = p.Estimate(src, &o, nil); err != nil || n != want {
		t.Errorf("chained: got %d (%v); want %d (+ the first pipeline's result)", n, err, want)
	}

	o = defaultOptions()
	o.SkipProcessing = o.SkipProcessing.With(options.FormatPNG)
	if n, _ = p.Estimate(src, &o, nil); n != 2*int64(len(src)) {
		t.Errorf("passthrough: got %d; want %d", n, 2*len(src))
	}
	o = defaultOptions()
	o.Limits.MaxSrcResolution = 1000
	if _, err := p.Estimate(src, &o, nil); kindOf(err) != options.KindSourceTooBig {
		t.Errorf("over the resolution limit: got %v; want KindSourceTooBig", err)
	}
	if _, err := p.Estimate([]byte("not an image"), &o, nil); kindOf(err) != options.KindInvalidImage {
		t.Errorf("garbage: got %v; want KindInvalidImage", err)
	}
}

// TestEstimateEncoders: an AVIF result counts the encoder's own memory;
// autoquality computes the result into memory and, for dssim, measures
// it; format best encodes one in-memory result several times.
func TestEstimateEncoders(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := sourceSized(t, options.FormatPNG, 400, 300, false)
	est := func(mod func(o *options.Options), neg *options.Negotiation) int64 {
		t.Helper()
		o := defaultOptions()
		o.Width = 200 // 200x150 result
		mod(&o)
		n, err := p.Estimate(src, &o, neg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const px, final = 200 * 150, 200 * 150 * 3
	jpg := est(func(o *options.Options) { o.Format = options.FormatJPEG }, nil)
	if !canSave[options.FormatAVIF] {
		t.Skip("no AVIF encoder")
	}
	if got, want := est(func(o *options.Options) { o.Format = options.FormatAVIF }, nil)-jpg, encoderMemory(options.FormatAVIF, px); got != want || want <= 0 {
		t.Errorf("AVIF over JPEG: got %d; want %d (the encoder's memory)", got, want)
	}
	aq := func(m options.AutoqualityMethod) func(o *options.Options) {
		return func(o *options.Options) { o.Format, o.Autoquality.Method = options.FormatJPEG, m }
	}
	if got, want := est(aq(options.AutoqualitySize), nil)-jpg, int64(final); got != want {
		t.Errorf("autoquality size: got +%d; want +%d (the result in memory)", got, want)
	}
	if got, want := est(aq(options.AutoqualityDSSIM), nil)-jpg, int64(final+aqMeasureBytesPerPixel*px); got != want {
		t.Errorf("autoquality dssim: got +%d; want +%d (the result in memory and its measurement)", got, want)
	}
	neg := &options.Negotiation{Preferred: []options.Format{options.FormatJPEG, options.FormatAVIF}}
	best := est(func(o *options.Options) { o.Format, o.BestFormat = options.FormatUnknown, true }, neg)
	if want := jpg + final + encoderMemory(options.FormatAVIF, px); best != want {
		t.Errorf("best of JPEG and AVIF: got %d; want %d (the result in memory, AVIF's encoder)", best, want)
	}
}
