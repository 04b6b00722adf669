package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is what one workload run against one target measured.
type result struct {
	Workload string
	Target   string // "server", "no-coalesce", "ceiling"
	Conc     int
	Requests int // finished requests, errors included
	Errors   int
	ErrKinds map[string]int
	Elapsed  time.Duration
	Lat      []time.Duration            // sorted, one per finished request
	ByOp     map[string][]time.Duration // sorted latencies per operation label
	Bytes    int64                      // response bytes of successful requests
	PeakRSS  int64                      // bytes; 0 = unknown
	CPU      time.Duration              // CPU time the measured process used during the run; 0 = unknown
	Rounds   int                        // runs merged into this result (0 = 1)
}

// merge adds another run of the same workload and target: counts, time,
// CPU and latencies add up, the peak RSS is the larger one.
func (r *result) merge(o *result) {
	r.Requests += o.Requests
	r.Errors += o.Errors
	for k, n := range o.ErrKinds {
		if r.ErrKinds == nil {
			r.ErrKinds = map[string]int{}
		}
		r.ErrKinds[k] += n
	}
	r.Elapsed += o.Elapsed
	r.Lat = append(r.Lat, o.Lat...)
	sortDurations(r.Lat)
	for op, l := range o.ByOp {
		if r.ByOp == nil {
			r.ByOp = map[string][]time.Duration{}
		}
		r.ByOp[op] = append(r.ByOp[op], l...)
		sortDurations(r.ByOp[op])
	}
	r.Bytes += o.Bytes
	r.PeakRSS = max(r.PeakRSS, o.PeakRSS)
	if r.CPU > 0 && o.CPU > 0 {
		r.CPU += o.CPU
	} else {
		r.CPU = 0 // unknown in one round: unknown overall
	}
	r.Rounds += max(1, o.Rounds)
}

// CPUPerOp is the CPU time per successful request (0 = unknown).
func (r *result) CPUPerOp() time.Duration {
	ok := r.Requests - r.Errors
	if r.CPU <= 0 || ok <= 0 {
		return 0
	}
	return r.CPU / time.Duration(ok)
}

// RPS is the throughput in successful requests per second.
func (r *result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Pct returns the p-th percentile latency (0 < p <= 100), nearest rank.
func (r *result) Pct(p float64) time.Duration {
	return percentile(r.Lat, p)
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// sample is one finished request.
type sample struct {
	D  time.Duration
	Op string
}

// recorder collects latencies and errors from many goroutines.
type recorder struct {
	done, errs atomic.Int64
	bytes      atomic.Int64
	mu         sync.Mutex
	lat        []sample
	kinds      map[string]int
}

func (rc *recorder) errorf(kind string) {
	rc.errs.Add(1)
	rc.mu.Lock()
	if rc.kinds == nil {
		rc.kinds = map[string]int{}
	}
	rc.kinds[kind]++
	rc.mu.Unlock()
}

// add merges one goroutine's latencies.
func (rc *recorder) add(lat []sample) {
	rc.mu.Lock()
	rc.lat = append(rc.lat, lat...)
	rc.mu.Unlock()
}

func (rc *recorder) result(workload, target string, conc int, elapsed time.Duration) *result {
	lat := make([]time.Duration, len(rc.lat))
	byOp := map[string][]time.Duration{}
	for i, s := range rc.lat {
		lat[i] = s.D
		byOp[s.Op] = append(byOp[s.Op], s.D)
	}
	sortDurations(lat)
	for _, l := range byOp {
		sortDurations(l)
	}
	return &result{Workload: workload, Target: target, Conc: conc, Requests: int(rc.done.Load()),
		Errors: int(rc.errs.Load()), ErrKinds: rc.kinds, Elapsed: elapsed, Lat: lat, ByOp: byOp, Bytes: rc.bytes.Load()}
}

// progress prints a status line every second while a run lasts.
func progress(label string, rc *recorder, start time.Time, dur time.Duration) (stop func()) {
	tty := false
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		tty = true
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for i := 1; ; i++ {
			select {
			case <-quit:
				if tty {
					fmt.Fprint(os.Stderr, "\r\033[K")
				}
				return
			case <-t.C:
			}
			el := time.Since(start)
			line := fmt.Sprintf("%-24s %5.0fs/%.0fs %7d req %8.1f req/s %5d err", label, el.Seconds(), dur.Seconds(),
				rc.done.Load(), float64(rc.done.Load()-rc.errs.Load())/el.Seconds(), rc.errs.Load())
			if tty {
				fmt.Fprint(os.Stderr, "\r\033[K"+line)
			} else if i%5 == 0 {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}

// httpTarget drives an imgproxy-compatible server.
type httpTarget struct {
	base   string // e.g. "http://127.0.0.1:8080"
	signer signer
	client *http.Client
	// unique adds a cache buster unique to each request, so that no
	// request is served by coalescing or a cache: every one is processed,
	// as an origin behind a CDN sees mostly distinct URLs.
	unique bool
	// origin is the base URL of the bench's HTTP origin, for remote items.
	origin string
	runID  string
	seq    atomic.Int64
}

func newHTTPTarget(base string, s signer, conc int) *httpTarget {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conc * 2,
		MaxIdleConnsPerHost: conc * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &httpTarget{base: base, signer: s, client: &http.Client{Transport: tr, Timeout: 60 * time.Second},
		runID: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// get fetches one image into buf and checks status and Content-Type. It
// returns an error kind ("" on success).
func (t *httpTarget) get(ctx context.Context, it item, cb string, buf *bytes.Buffer) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+t.signer.path(it.urlPath(t.origin, cb)), nil)
	if err != nil {
		return "request"
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return "transport"
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode != http.StatusOK:
		return "status " + strconv.Itoa(resp.StatusCode)
	case err != nil:
		return "body"
	case it.Op.Best && !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/"),
		!it.Op.Best && resp.Header.Get("Content-Type") != it.Op.Format.MIME():
		return "content-type " + resp.Header.Get("Content-Type")
	case buf.Len() == 0:
		return "empty body"
	}
	return ""
}

// run sends the workload's items round-robin from conc clients for dur (a
// storm workload sends bursts instead, see runStorm). Clients start no
// request after dur but finish the ones in flight, and the elapsed time
// includes them, so slow requests are neither lost nor free.
func (t *httpTarget) run(w workload, target string, conc int, dur time.Duration, quiet bool) *result {
	if w.Storm {
		return t.runStorm(w, target, conc, dur, quiet)
	}
	var rc recorder
	var next atomic.Int64
	ctx := context.Background()
	start := time.Now()
	deadline := start.Add(dur)
	if !quiet {
		defer progress(w.Name+"/"+target, &rc, start, dur)()
	}
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			lat := make([]sample, 0, 1024)
			for time.Now().Before(deadline) {
				it := w.Items[int(next.Add(1)-1)%len(w.Items)]
				t0 := time.Now()
				cb := ""
				if t.unique {
					cb = t.runID + "u" + strconv.FormatInt(t.seq.Add(1), 36)
				}
				kind := t.get(ctx, it, cb, &buf)
				lat = append(lat, sample{time.Since(t0), it.Op.String()})
				rc.done.Add(1)
				if kind != "" {
					rc.errorf(kind)
				} else {
					rc.bytes.Add(int64(buf.Len()))
				}
			}
			rc.add(lat)
		}()
	}
	wg.Wait()
	return rc.result(w.Name, target, conc, time.Since(start))
}

// runStorm sends bursts of size identical requests for a URL never seen
// before (a fresh cache buster per burst), one burst after the other, as
// many CDN edge nodes do on a miss. Every response of a burst must carry
// the same bytes.
func (t *httpTarget) runStorm(w workload, target string, size int, dur time.Duration, quiet bool) *result {
	var rc recorder
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	start := time.Now()
	deadline := start.Add(dur)
	if !quiet {
		defer progress(w.Name+"/"+target, &rc, start, dur)()
	}
	bufs := make([]bytes.Buffer, size)
	kinds := make([]string, size)
	lats := make([]time.Duration, size)
	var all []sample
	for b := 0; time.Now().Before(deadline); b++ {
		it := w.Items[b%len(w.Items)]
		cb := run + "-" + strconv.Itoa(b)
		var wg sync.WaitGroup
		for i := range size {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				kinds[i] = t.get(context.Background(), it, cb, &bufs[i])
				lats[i] = time.Since(t0)
			}()
		}
		wg.Wait()
		var sum uint32
		var n int
		for i := range size {
			rc.done.Add(1)
			all = append(all, sample{lats[i], it.Op.String()})
			if kinds[i] != "" {
				rc.errorf(kinds[i])
				continue
			}
			c := crc32.ChecksumIEEE(bufs[i].Bytes())
			if n == 0 {
				sum = c
			} else if c != sum {
				rc.errorf("different bytes in one burst")
				continue
			}
			n++
			rc.bytes.Add(int64(bufs[i].Len()))
		}
	}
	rc.add(all)
	return rc.result(w.Name, target, size, time.Since(start))
}

// runRaw is the ceiling: the same items processed in-process with
// ceilingOp by conc goroutines, no HTTP.
func runRaw(w workload, conc int, dur time.Duration, quiet bool) *result {
	var rc recorder
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(dur)
	if !quiet {
		defer progress(w.Name+"/ceiling", &rc, start, dur)()
	}
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Like a server worker: keep one OS thread for libvips.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			lat := make([]sample, 0, 1024)
			for time.Now().Before(deadline) {
				it := w.Items[int(next.Add(1)-1)%len(w.Items)]
				t0 := time.Now()
				ph := it.Photo
				out, err := ceilingOp(ph.Data, ph.Format, ph.Width, ph.Height, ph.Orientation, ph.HasAlpha, it.Op)
				lat = append(lat, sample{time.Since(t0), it.Op.String()})
				rc.done.Add(1)
				if err != nil {
					rc.errorf(err.Error())
				} else {
					rc.bytes.Add(int64(len(out)))
				}
			}
			rc.add(lat)
		}()
	}
	wg.Wait()
	return rc.result(w.Name, "ceiling", conc, time.Since(start))
}

// drain reads and discards a response body (used by health probes).
func drain(r io.ReadCloser) {
	_, _ = io.Copy(io.Discard, r)
	r.Close()
}
