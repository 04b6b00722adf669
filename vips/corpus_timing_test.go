package vips

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Benchmarks of the bench's web-mix renditions on the real-photo corpus
// (BENCHMARKS.md), one Process call per iteration, for profiling the
// pipeline with perf or callgrind. They skip unless IMGEDGE_CORPUS names
// the corpus' photos directory, e.g.
//
//	IMGEDGE_CORPUS=$PWD/bench/corpus/photos go test -run X -bench Corpus -benchtime 20x ./vips/

type corpusCase struct {
	name   string // benchmark name
	glob   string // photos used, cycled through
	w, h   int
	fill   bool
	format options.Format
	q      int
}

var corpusCases = []corpusCase{
	{"webp4096-480webp", "gnome-*-?.webp", 480, 0, false, options.FormatWebP, 0},
	{"png-600jpeg", "*.png", 600, 0, false, options.FormatJPEG, 0},
	{"jpeg5640-1200jpeg", "mate-abstract-Elephants_5640x3172.jpg", 1200, 0, false, options.FormatJPEG, 80},
	{"thumb", "mate-nature-*.jpg", 300, 200, true, options.FormatJPEG, 0},
	{"jpeg-640webp", "mate-*.jpg", 640, 0, false, options.FormatWebP, 0},
	{"jpeg-150webp", "mate-*.jpg", 150, 150, true, options.FormatWebP, 0},
	{"jpeg-1200jpeg", "mate-*.jpg", 1200, 0, false, options.FormatJPEG, 80},
	{"jpeg-300jpeg", "mate-*.jpg", 300, 200, true, options.FormatJPEG, 0},
}

var corpusCache = map[string][][]byte{}

func corpusFiles(b testing.TB, glob string) [][]byte {
	if f, ok := corpusCache[glob]; ok {
		return f
	}
	dir := os.Getenv("IMGEDGE_CORPUS")
	if dir == "" {
		b.Skip("IMGEDGE_CORPUS not set")
	}
	names, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for _, n := range names {
		if strings.Contains(n, "vnc") {
			continue
		}
		d, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		b.Skipf("no %s in %s", glob, dir)
	}
	corpusCache[glob] = out
	return out
}

func (c corpusCase) options() options.Options {
	o := defaultOptions()
	o.ResizingType, o.Width, o.Height, o.Format = options.ResizeFit, c.w, c.h, c.format
	if c.fill {
		o.ResizingType = options.ResizeFill
	}
	if c.q > 0 {
		o.Quality = c.q
	}
	return o
}

func BenchmarkCorpus(b *testing.B) {
	for _, c := range corpusCases {
		b.Run(c.name, func(b *testing.B) {
			files := corpusFiles(b, c.glob)
			if f := os.Getenv("IMGEDGE_CORPUS_ONE"); f != "" {
				files = files[:1]
			}
			p := newTestProcessor(b, corpusCacheConfig())
			o := c.options()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := processBytes(context.Background(), p, files[i%len(files)], &o, nil)
				if err != nil {
					b.Fatal(err)
				}
				out.Release()
			}
		})
	}
}

// TestCorpusProfile runs one corpus case exactly N times when
// IMGEDGE_CORPUS_PROFILE is "case:N[:file index]", for instruction counts
// under callgrind (the difference between two N is the cost of N calls).
func TestCorpusProfile(t *testing.T) {
	spec := os.Getenv("IMGEDGE_CORPUS_PROFILE")
	if spec == "" {
		t.Skip("IMGEDGE_CORPUS_PROFILE not set")
	}
	parts := strings.Split(spec, ":")
	n, _ := strconv.Atoi(parts[1])
	idx := 0
	if len(parts) > 2 {
		idx, _ = strconv.Atoi(parts[2])
	}
	cases := corpusCases
	if parts[0] == "web-mix" {
		cases = webMixCases(t)
		parts[0] = cases[idx].name
		idx = 0
	}
	for _, c := range cases {
		if c.name != parts[0] {
			continue
		}
		files := corpusFiles(t, c.glob)
		p := newTestProcessor(t, corpusCacheConfig())
		o := c.options()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for range n {
			out, err := processBytes(context.Background(), p, files[idx%len(files)], &o, nil)
			if err != nil {
				t.Fatal(err)
			}
			out.Release()
		}
		return
	}
	t.Fatalf("no case %q", parts[0])
}

// webMixCases lists the bench's web-mix requests one by one (its JPEG
// operations on every JPEG, 600w JPEG from every PNG, 480w WebP from every
// WebP), each as a case of one photo.
func webMixCases(t testing.TB) []corpusCase {
	dir := os.Getenv("IMGEDGE_CORPUS")
	var out []corpusCase
	add := func(glob string, ops []corpusCase) {
		names, _ := filepath.Glob(filepath.Join(dir, glob))
		for _, n := range names {
			if st, err := os.Stat(n); err != nil || st.Size() < 10<<10 {
				continue
			}
			for _, o := range ops {
				o.glob = filepath.Base(n)
				o.name = o.name + "/" + o.glob
				out = append(out, o)
			}
		}
	}
	add("*.jpg", []corpusCase{
		{name: "300x200fill-jpeg", w: 300, h: 200, fill: true, format: options.FormatJPEG},
		{name: "640-webp", w: 640, format: options.FormatWebP},
		{name: "1200-jpeg-q80", w: 1200, format: options.FormatJPEG, q: 80},
		{name: "150x150fill-webp", w: 150, h: 150, fill: true, format: options.FormatWebP},
	})
	add("*.png", []corpusCase{{name: "600-jpeg", w: 600, format: options.FormatJPEG}})
	add("*.webp", []corpusCase{{name: "480-webp", w: 480, format: options.FormatWebP}})
	if len(out) == 0 {
		t.Skip("no corpus")
	}
	return out
}

// corpusCacheConfig sets the decoded-source cache from
// IMGEDGE_CORPUS_DECODE_CACHE ("<bytes>:<ttl>", e.g. "67108864:2s"; unset
// = off, so that every call decodes).
func corpusCacheConfig() func(*Config) {
	v := os.Getenv("IMGEDGE_CORPUS_DECODE_CACHE")
	if v == "" {
		return func(c *Config) { c.DecodeCacheSize = 0 }
	}
	size, ttl, _ := strings.Cut(v, ":")
	n, _ := strconv.ParseInt(size, 10, 64)
	d, _ := time.ParseDuration(ttl)
	return func(c *Config) { c.DecodeCacheSize, c.DecodeCacheTTL = n, d }
}

// BenchmarkCorpusSrcset processes each corpus photo at the widths of a
// typical srcset (320, 640, 960, 1280, 1920 wide, those below the source's
// width), all five requests at once on two goroutines, like a page's
// srcset after a purge; with and without the decoded-source cache. It
// reports the process CPU time per srcset (cpu-ms/op).
func BenchmarkCorpusSrcset(b *testing.B) {
	for _, g := range []struct {
		name, glob string
		format     options.Format
	}{
		{"jpeg", "mate-*.jpg", options.FormatJPEG}, {"png", "*.png", options.FormatJPEG}, {"webp", "gnome-*-?.webp", options.FormatWebP},
	} {
		for _, cache := range []bool{false, true} {
			name := g.name + "/cache-off"
			if cache {
				name = g.name + "/cache-on"
			}
			b.Run(name, func(b *testing.B) {
				files := corpusFiles(b, g.glob)
				p := newTestProcessor(b, func(c *Config) {
					if cache {
						c.DecodeCacheSize, c.DecodeCacheTTL = 64<<20, 2*time.Second
					}
				})
				cpu0 := cpuTime()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					src := files[i%len(files)]
					m, _ := imagemeta.Probe(src)
					var ws []int
					for _, w := range []int{320, 640, 960, 1280, 1920} {
						if w < m.Width {
							ws = append(ws, w)
						}
					}
					next := make(chan int, len(ws))
					for _, w := range ws {
						next <- w
					}
					close(next)
					var wg sync.WaitGroup
					for range 2 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							runtime.LockOSThread()
							defer runtime.UnlockOSThread()
							for w := range next {
								o := defaultOptions()
								o.Width, o.Format = w, g.format
								out, err := processBytes(context.Background(), p, src, &o, nil)
								if err != nil {
									b.Error(err)
									return
								}
								out.Release()
							}
						}()
					}
					wg.Wait()
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
				if cache {
					st := p.DecodeCacheStats()
					b.ReportMetric(float64(st.Hits)/float64(st.Hits+st.Misses), "shared")
				}
			})
		}
	}
}

// cpuTime is the CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCorpusWebMix processes every request of the bench's web-mix
// once per iteration, on one goroutine, and reports the process CPU time
// per request overall and per source format (cpu-ms/req, jpeg-ms, png-ms,
// webp-ms).
func BenchmarkCorpusWebMix(b *testing.B) {
	cases := webMixCases(b)
	p := newTestProcessor(b, corpusCacheConfig())
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	per := map[string]time.Duration{}
	count := map[string]int{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range cases {
			src := corpusFiles(b, c.glob)[0]
			o := c.options()
			t0 := cpuTime()
			out, err := processBytes(context.Background(), p, src, &o, nil)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
			ext := filepath.Ext(c.glob)[1:]
			per[ext] += cpuTime() - t0
			count[ext]++
		}
	}
	b.StopTimer()
	var total time.Duration
	for ext, d := range per {
		total += d
		b.ReportMetric(float64(d)/float64(time.Millisecond)/float64(count[ext]), ext+"-ms")
	}
	b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N*len(cases)), "cpu-ms/req")
}
