package vips

import (
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze/dssimref"
)

// photo is a noisy gradient picture (complex: lossy encodings win).
func photo(t *testing.T, w, h int) []byte {
	t.Helper()
	m := testPattern(w, h, false)
	for i := range m.Pix {
		if i%4 != 3 {
			m.Pix[i] = byte(int(m.Pix[i]) + int(uint32(i*2654435761)>>28) - 8)
		}
	}
	return pngBytes(t, m)
}

func TestBestFormatPicksTheSmallestCandidate(t *testing.T) {
	p := newTestProcessor(t, nil)
	neg := &options.Negotiation{Auto: options.FormatSet(0).With(options.FormatWebP).With(options.FormatAVIF)}
	for _, tc := range []struct {
		name     string
		src      []byte
		lossless bool
	}{
		{"photo", photo(t, 96, 64), false},
		{"graphic", pngBytes(t, twoColours(96, 64)), true},
	} {
		o := defaultOptions()
		o.BestFormat = true
		got, meta := process(t, p, tc.src, o, neg)
		if f := sniff(got); f != meta.Format {
			t.Fatalf("%s: answered %v bytes labelled %v", tc.name, f, meta.Format)
		}
		// Every candidate of the same kind, encoded through the same
		// pipeline with a fixed format: none is smaller.
		for _, f := range []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatGIF, options.FormatWebP, options.FormatAVIF} {
			if tc.lossless && (f == options.FormatJPEG || f == options.FormatAVIF) || !tc.lossless && (f == options.FormatPNG || f == options.FormatGIF) {
				continue
			}
			var cand int
			if tc.lossless && f == options.FormatWebP {
				im, err := loadBuffer(tc.src, options.FormatPNG, loadParams{})
				if err != nil {
					t.Fatal(err)
				}
				out, err := p.saveLossless(im, f, &o.Encoding)
				im.close()
				if err != nil {
					t.Fatal(err)
				}
				cand = len(out.Data)
				out.Release()
			} else {
				c := defaultOptions()
				c.Format = f
				b, _ := process(t, p, tc.src, c, nil)
				cand = len(b)
			}
			if cand < len(got) {
				t.Errorf("%s: best answered %v of %d bytes; %v has %d", tc.name, meta.Format, len(got), f, cand)
			}
		}
		if tc.lossless {
			a, _, _ := pixels(t, tc.src)
			b, _, _ := pixels(t, got)
			if d := meanDiff(a, b); d != 0 {
				t.Errorf("%s: lossless answer %v differs from the source by %.3f", tc.name, meta.Format, d)
			}
		}
	}
	// Without detection, only the preferred formats compete.
	o := defaultOptions()
	o.BestFormat = true
	_, meta := process(t, p, photo(t, 64, 48), o, nil)
	if meta.Format != options.FormatJPEG {
		t.Errorf("no detection: got %v; want jpeg", meta.Format)
	}
	// Transparency excludes JPEG.
	_, meta = process(t, p, pngBytes(t, testPattern(64, 48, true)), o, nil)
	if !meta.Format.SupportsAlpha() {
		t.Errorf("alpha source: got %v", meta.Format)
	}
}

// qualityOf finds the quality a JPEG result was encoded with by encoding
// the same pipeline at every quality in [lo, hi].
func qualityOf(t *testing.T, p *Processor, src, got []byte, lo, hi int) int {
	t.Helper()
	for q := lo; q <= hi; q++ {
		o := defaultOptions()
		o.Format, o.Quality = options.FormatJPEG, q
		if b, _ := process(t, p, src, o, nil); string(b) == string(got) {
			return q
		}
	}
	t.Fatalf("the result matches no quality in %d..%d", lo, hi)
	return 0
}

func TestAutoquality(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := photo(t, 96, 72)
	lossless := defaultOptions()
	lossless.Format = options.FormatPNG
	ref, _ := process(t, p, src, lossless, nil)
	refPix, w, h := pixels(t, ref)

	// dssim: on this picture JPEG goes from DSSIM ≈0.011 at q80 to ≈0.017
	// at q30, so the target lands inside the range.
	var encodes int
	aqObserver = func(_ options.Format, _, n int) { encodes = n }
	defer func() { aqObserver = nil }()
	const target, allowed = 0.0135, 0.0005
	o := defaultOptions()
	o.Format = options.FormatJPEG
	o.Autoquality = options.Autoquality{Method: options.AutoqualityDSSIM, Target: target, Min: 30, Max: 95, AllowedError: allowed, HasAllowedError: true}
	got, _ := process(t, p, src, o, nil)
	q := qualityOf(t, p, src, got, 30, 95)
	gotPix, _, _ := pixels(t, got)
	d := dssimref.DSSIM(refPix, gotPix, w, h) // the slow, independent rendering
	if d > target {
		t.Errorf("dssim: quality %d gives DSSIM %.5f over the target %v", q, d, target)
	}
	if encodes > aqMaxEncodes {
		t.Errorf("dssim: %d encodes; want at most %d", encodes, aqMaxEncodes)
	}
	// The search ends within the allowed error below the target, or at
	// the lowest quality that meets it.
	if target-d > allowed && q > 30 {
		lower := defaultOptions()
		lower.Format, lower.Quality = options.FormatJPEG, q-1
		b, _ := process(t, p, src, lower, nil)
		lp, _, _ := pixels(t, b)
		if dl := dssimref.DSSIM(refPix, lp, w, h); dl <= target {
			t.Errorf("dssim: quality %d (DSSIM %.5f) is neither within %v of the target nor the lowest that meets it (q%d: %.5f)", q, d, allowed, q-1, dl)
		}
	}
	t.Logf("dssim target %v: quality %d, DSSIM %.5f, %d bytes, %d encodes", target, q, d, len(got), encodes)

	// size: the highest quality within the byte target (exactly, unless
	// the search spent its whole budget).
	limit := len(got) * 3 / 4
	o.Autoquality = options.Autoquality{Method: options.AutoqualitySize, Target: float64(limit), Min: 10, Max: 90}
	got, _ = process(t, p, src, o, nil)
	q = qualityOf(t, p, src, got, 10, 90)
	if len(got) > limit && q > 10 {
		t.Errorf("size: %d bytes over the target %d at quality %d", len(got), limit, q)
	}
	if encodes > aqMaxEncodes {
		t.Errorf("size: %d encodes; want at most %d", encodes, aqMaxEncodes)
	}
	t.Logf("size target %d: quality %d, %d bytes, %d encodes", limit, q, len(got), encodes)
	if q < 90 && encodes < aqMaxEncodes {
		higher := defaultOptions()
		higher.Format, higher.Quality = options.FormatJPEG, q+1
		if b, _ := process(t, p, src, higher, nil); len(b) <= limit {
			t.Errorf("size: quality %d fits (%d bytes) but %d was chosen", q+1, len(b), q)
		}
	}
	// Bounds win over the target.
	o.Autoquality = options.Autoquality{Method: options.AutoqualitySize, Target: 1, Min: 40, Max: 60}
	got, _ = process(t, p, src, o, nil)
	if q := qualityOf(t, p, src, got, 40, 60); q != 40 {
		t.Errorf("unreachable size target: quality %d; want the minimum 40", q)
	}
	// The server default applies when the URL leaves the method out, but
	// not over an explicit quality.
	ps := newTestProcessor(t, func(c *Config) {
		c.Autoquality.Method, c.Autoquality.Target = options.AutoqualitySize, 1
	})
	o = defaultOptions()
	o.Format = options.FormatJPEG
	got, _ = process(t, ps, src, o, nil)
	if q := qualityOf(t, p, src, got, 70, 80); q != 70 {
		t.Errorf("server size method: quality %d; want IMGPROXY_AUTOQUALITY_MIN 70", q)
	}
	o.Quality = 77
	got, _ = process(t, ps, src, o, nil)
	if q := qualityOf(t, p, src, got, 70, 80); q != 77 {
		t.Errorf("explicit quality under a server method: got %d; want 77", q)
	}
}

func TestChainedPipelinesMatchTwoRequests(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pngBytes(t, testPattern(80, 60, true))
	first := defaultOptions()
	first.ResizingType, first.Width, first.Height = options.ResizeFill, 50, 40
	first.Padding = options.Padding{Enabled: true, Top: 4, Right: 4, Bottom: 4, Left: 4}
	first.Format = options.FormatPNG
	second := defaultOptions()
	second.Rotate, second.Blur, second.Width = 90, 1.5, 30
	second.Format = options.FormatPNG
	second.Trim = options.Trim{Enabled: true, Threshold: 5}

	mid, _ := process(t, p, src, first, nil)
	want, wantMeta := process(t, p, mid, second, nil)

	chained := second
	prev := first
	chained.Previous = &prev
	got, meta := process(t, p, src, chained, nil)
	if meta.Width != wantMeta.Width || meta.Height != wantMeta.Height {
		t.Fatalf("chain: %dx%d; two requests: %dx%d", meta.Width, meta.Height, wantMeta.Width, wantMeta.Height)
	}
	a, _, _ := pixels(t, want)
	b, _, _ := pixels(t, got)
	if d := meanDiff(a, b); d > 0.05 {
		t.Errorf("chain differs from two requests by %.3f per channel", d)
	}
}
