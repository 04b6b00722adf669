package vips

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze"
)

// The corpus benchmarks of BENCHMARKS.md "format best and autoquality":
// every JPEG photo of the bench corpus (bench/corpus/photos, fetched by
// `go run ./bench -fetch`; skipped when absent) to 640 pixels wide,
// through the processor, one request at a time. They report per image
// the output bytes, the CPU time and, for autoquality, the DSSIM of the
// answer and the qualities picked; run with
//
//	go test -run '^$' -bench Corpus -benchtime 1x ./vips/

func corpusJPEGs(b *testing.B) (names []string, data [][]byte) {
	b.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "bench", "corpus", "photos", "*.jpg"))
	if len(paths) == 0 {
		b.Skip("no bench corpus (go run ./bench -fetch)")
	}
	for _, p := range paths {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		names, data = append(names, filepath.Base(p)), append(data, d)
	}
	return names, data
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCorpus640(b *testing.B) {
	names, photos := corpusJPEGs(b)
	aqTarget := func(target float64) func(*Config) {
		return func(c *Config) {
			c.Autoquality.Method, c.Autoquality.Target = options.AutoqualityDSSIM, target
			c.Autoquality.AllowedError = min(c.Autoquality.AllowedError, target/10)
		}
	}
	aq := aqTarget(0.02)
	webpAVIF := &options.Negotiation{Auto: options.FormatSet(0).With(options.FormatWebP).With(options.FormatAVIF)}
	for _, tc := range []struct {
		name   string
		f      options.Format
		q      int
		best   bool
		cfg    func(*Config)
		neg    *options.Negotiation
		verify bool // measure the DSSIM of the answer
	}{
		{name: "webp-q80", f: options.FormatWebP, q: 80, verify: true},
		{name: "webp-default", f: options.FormatWebP, verify: true},
		{name: "avif-q80", f: options.FormatAVIF, q: 80},
		{name: "avif-default", f: options.FormatAVIF, verify: true},
		{name: "jpeg-default", f: options.FormatJPEG, verify: true},
		{name: "best", best: true, neg: webpAVIF},
		{name: "aq-webp", f: options.FormatWebP, cfg: aq, verify: true},
		{name: "aq-avif", f: options.FormatAVIF, cfg: aq, verify: true},
		{name: "aq-jpeg", f: options.FormatJPEG, cfg: aq, verify: true},
		// A target inside the default bounds' range (see docs/options.md
		// "Autoquality"): the search steers instead of hitting the minimum.
		{name: "aq-webp-0.002", f: options.FormatWebP, cfg: aqTarget(0.002), verify: true},
		{name: "aq-avif-0.002", f: options.FormatAVIF, cfg: aqTarget(0.002), verify: true},
		{name: "best-aq", best: true, cfg: aq, neg: webpAVIF, verify: true},
		{name: "best-aq-0.002", best: true, cfg: aqTarget(0.002), neg: webpAVIF, verify: true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := newTestProcessor(b, tc.cfg)
			qs := map[string]int{}
			formats := map[options.Format]int{}
			encodes := 0
			aqObserver = func(f options.Format, q, n int) { qs[fmt.Sprintf("%v:%d", f, q)]++; encodes += n }
			defer func() { aqObserver = nil }()
			var bytes, count int
			var cpu time.Duration
			var dssims []float64
			for b.Loop() {
				for i, src := range photos {
					o := defaultOptions()
					o.Width, o.Format, o.Quality, o.BestFormat = 640, tc.f, tc.q, tc.best
					start := processCPU()
					got, meta := process(b, p, src, o, tc.neg)
					cpu += processCPU() - start
					bytes += len(got)
					count++
					formats[meta.Format]++
					if tc.verify && len(dssims) < len(photos) {
						dssims = append(dssims, corpusDSSIM(b, p, src, got))
						if testing.Verbose() {
							fmt.Fprintf(os.Stderr, "%s %s: %v %d B dssim %.4f\n", tc.name, names[i], meta.Format, len(got), dssims[len(dssims)-1])
						}
					}
				}
			}
			b.ReportMetric(float64(bytes)/float64(count), "B/img")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(count), "cpu-ms/img")
			if len(dssims) > 0 {
				sort.Float64s(dssims)
				b.ReportMetric(dssims[len(dssims)/2], "median-dssim")
				b.ReportMetric(dssims[len(dssims)-1], "max-dssim")
			}
			if encodes > 0 {
				b.ReportMetric(float64(encodes)/float64(count), "encodes/img")
			}
			keys := make([]string, 0, len(qs))
			for k := range qs {
				keys = append(keys, fmt.Sprintf("%s×%d", k, qs[k]))
			}
			slices.Sort(keys)
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "%s: formats %v; qualities %s\n", tc.name, formats, strings.Join(keys, " "))
			}
		})
	}
}

// corpusDSSIM is the DSSIM of an answer against the lossless rendering of
// the same request (the reference autoquality measures against).
func corpusDSSIM(b *testing.B, p *Processor, src, got []byte) float64 {
	o := defaultOptions()
	o.Width, o.Format = 640, options.FormatPNG
	ref, _ := process(b, p, src, o, nil)
	a, w, h := pixels(b, ref)
	c, w2, h2 := pixels(b, got)
	if w != w2 || h != h2 {
		b.Fatalf("answer %dx%d; reference %dx%d", w2, h2, w, h)
	}
	d, err := analyze.DSSIM(&analyze.Image{W: w, H: h, Pix: a}, &analyze.Image{W: w, H: h, Pix: c})
	if err != nil {
		b.Fatal(err)
	}
	return d
}
