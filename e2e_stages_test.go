package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The two stages of a request (docs/architecture.md, "edge"), end to end
// with the real binary: downloads outside the worker pool, admission by
// memory, the result window.

// TestE2EStalledOriginHoldsNoWorker: with a single worker, a request whose
// origin stalls (processing or /info) holds a download slot only; a local
// file is processed meanwhile.
func TestE2EStalledOriginHoldsNoWorker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, path string }{
		{"processing", "/insecure/rs:fit:64:64/plain/"},
		{"info", "/info/insecure/size:1/plain/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			origin := rcNewSlowOrigin(t)
			s := launch(t, map[string]string{
				"IMGPROXY_WORKERS":                         "1",
				"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           rcImageDir(t),
				"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
				"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
			})
			maddr := rcMetricsAddr(t, s)
			stalled := rcAsyncGet(s.URL + tc.path + origin.URL + "/stalled.jpg")
			origin.waitStarted(t)
			resp, body := getWith(t, nil, s.URL+"/insecure/rs:fit:50:50/plain/local:///photo.jpg")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("local file beside a stalled origin: got %d %q", resp.StatusCode, truncate(body))
			}
			m := rcScrape(t, maddr)
			for _, g := range []struct {
				name string
				want float64
			}{{"downloads_in_progress", 1}, {"images_in_progress", 0}, {"processing_duration_seconds_count", 1}} {
				if got := m.val(g.name); got != g.want {
					t.Errorf("while the origin stalls: %s = %v; want %v", g.name, got, g.want)
				}
			}
			origin.releaseAll()
			if st := <-stalled; st != http.StatusOK {
				t.Errorf("stalled request once the origin answered: got %d; want 200", st)
			}
		})
	}
}

// noisePNG returns a w×h PNG of random pixels: large and incompressible.
func noisePNG(t *testing.T, w, h int, seed uint64) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestE2EMemoryBudgetBurst: a burst of images each larger than the whole
// memory budget is processed one after another (never two on the workers
// at once), every one successfully.
func TestE2EMemoryBudgetBurst(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 700, 500))
	for i := range img.Pix {
		img.Pix[i] = uint8(i / 7)
	}
	for i := range 6 {
		img.Set(i, 0, color.NRGBA{uint8(i), 0, 0, 255}) // distinct files
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("big%d.png", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := launch(t, map[string]string{
		"IMGPROXY_WORKERS":               "3",
		"IMGEDGE_MEMORY_BUDGET":          "1000000", // one 700×500 RGBA image alone is 1.4 MB
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root,
		"IMGPROXY_PROMETHEUS_BIND":       "127.0.0.1:0",
	})
	maddr := rcMetricsAddr(t, s)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		c := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := c.Get("http://" + maddr + "/metrics")
			if err != nil {
				continue
			}
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			for _, line := range rcLines(buf.String()) {
				if v, ok := strings.CutPrefix(line, "images_in_progress "); ok {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > peak.Load() {
						peak.Store(n)
					}
				}
			}
		}
	}()
	var wg sync.WaitGroup
	status := make([]int, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := getWith(t, nil, fmt.Sprintf("%s/insecure/rs:fit:%d:0/plain/local:///big%d.png@jpg", s.URL, 100+i, i))
			status[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	for i, st := range status {
		if st != http.StatusOK {
			t.Errorf("image %d: got %d; want 200", i, st)
		}
	}
	if p := peak.Load(); p > 1 {
		t.Errorf("%d images were processed at once under a budget smaller than one; want 1", p)
	}
	m := rcScrape(t, maddr)
	for _, g := range []struct {
		name string
		want float64
	}{{"memory_budget_bytes", 1000000}, {"memory_reserved_bytes", 0}, {"processing_duration_seconds_count", 6}} {
		if got := m.val(g.name); got != g.want {
			t.Errorf("%s = %v; want %v", g.name, got, g.want)
		}
	}
}

// TestE2EDownloadMemory: a download reserves its announced length before
// reading it, so a second download that does not fit beside it waits
// until the first is handed to a worker; both then succeed and nothing
// stays reserved.
func TestE2EDownloadMemory(t *testing.T) {
	t.Parallel()
	big := noisePNG(t, 300, 300, 1) // ~360 KB: a 384 KiB buffer
	release := make(chan struct{})
	var once sync.Once
	started := make(chan string, 4)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		w.Header().Set("Content-Type", "image/png")
		w.Write(big[:1000])
		w.(http.Flusher).Flush()
		started <- r.URL.Path
		if r.URL.Path == "/a.png" {
			<-release
		}
		w.Write(big[1000:])
	}))
	t.Cleanup(func() { once.Do(func() { close(release) }); origin.Close() })
	s := launch(t, map[string]string{
		"IMGEDGE_DOWNLOAD_MEMORY":                  "600000",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
	})
	maddr := rcMetricsAddr(t, s)
	a := rcAsyncGet(s.URL + "/insecure/rs:fit:50:50/plain/" + origin.URL + "/a.png@jpg")
	if p := <-started; p != "/a.png" {
		t.Fatalf("origin saw %s first", p)
	}
	b := rcAsyncGet(s.URL + "/insecure/rs:fit:50:50/plain/" + origin.URL + "/b.png@jpg")
	if p := <-started; p != "/b.png" {
		t.Fatalf("origin saw %s second", p)
	}
	// Both hold a download slot; only a's buffer is reserved: b's does not
	// fit beside it.
	var reserved float64
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m := rcScrape(t, maddr)
		reserved = m.val("download_memory_reserved_bytes")
		if m.val("downloads_in_progress") == 2 && reserved > 0 || time.Now().After(deadline) {
			break
		}
	}
	if reserved < float64(len(big)) || reserved > 1.5*float64(len(big)) {
		t.Errorf("reserved %v bytes for two %d-byte downloads with room for one; want one buffer", reserved, len(big))
	}
	select {
	case st := <-b:
		t.Fatalf("the second download finished (%d) although its bytes do not fit beside the first's", st)
	default:
	}
	once.Do(func() { close(release) })
	for name, ch := range map[string]<-chan int{"a": a, "b": b} {
		if st := <-ch; st != http.StatusOK {
			t.Errorf("request %s: got %d; want 200", name, st)
		}
	}
	if got := rcScrape(t, maddr).val("download_memory_reserved_bytes"); got != 0 {
		t.Errorf("download_memory_reserved_bytes = %v after both finished; want 0", got)
	}
}

// TestE2EResultWindow: a request arriving after an identical one finished
// gets its result from the window — same bytes, no second processing —
// another negotiated format does not, and once the window has passed the
// result is processed again.
func TestE2EResultWindow(t *testing.T) {
	t.Parallel()
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": rcImageDir(t),
		"IMGPROXY_AUTO_WEBP":             "true",
		"IMGEDGE_COALESCE_WINDOW":        "0.5",
		"IMGPROXY_PROMETHEUS_BIND":       "127.0.0.1:0",
	})
	maddr := rcMetricsAddr(t, s)
	url := s.URL + "/insecure/rs:fit:80:80/plain/local:///photo.jpg"
	r1, b1 := getWith(t, nil, url)
	r2, b2 := getWith(t, nil, url)
	r3, _ := getWith(t, nil, url, "Accept", "image/webp")
	if r1.StatusCode != 200 || r2.StatusCode != 200 || !bytes.Equal(b1, b2) {
		t.Fatalf("got %d and %d (identical bodies: %v); want two identical 200s", r1.StatusCode, r2.StatusCode, bytes.Equal(b1, b2))
	}
	if r3.Header.Get("Content-Type") != "image/webp" {
		t.Errorf("another Accept: got %q; want image/webp", r3.Header.Get("Content-Type"))
	}
	m := rcScrape(t, maddr)
	if hits, procs := m.val("coalesce_window_hits_total"), m.val("processing_duration_seconds_count"); hits != 1 || procs != 2 {
		t.Errorf("window hits %v, processings %v; want 1, 2", hits, procs)
	}
	rcWaitMetric(t, maddr, "coalesce_window_bytes", 0) // the window passed
	if r, b := getWith(t, nil, url); r.StatusCode != 200 || !bytes.Equal(b, b1) {
		t.Errorf("after the window: got %d", r.StatusCode)
	}
	if procs := rcScrape(t, maddr).val("processing_duration_seconds_count"); procs != 3 {
		t.Errorf("processings after the window: %v; want 3", procs)
	}
}
