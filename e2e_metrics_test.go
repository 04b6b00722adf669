package main

// Real-component tests of observability (docs/metrics.md): the Prometheus
// endpoint scraped during load and checked by Debian's promtool (counter
// deltas across a load with every error type the load causes, gauges that
// move while a request is in flight, label values and histogram buckets,
// the namespace applied to every family, promtool on scrapes taken in the
// middle of the load), the JSON request log, the warn log level, and
// /health while draining.

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imgedge/imgedge/sign"
)

// rcSlowOrigin is a loopback image origin whose requests wait until
// released (or 20 s).
type rcSlowOrigin struct {
	*httptest.Server
	started chan struct{} // one value per request that arrived
	release chan struct{} // closed by releaseAll to let all requests finish

	releaseAll func() // idempotent

	mu   sync.Mutex
	hits map[string]int // requests per path
}

func rcNewSlowOrigin(t *testing.T) *rcSlowOrigin {
	t.Helper()
	photo := rcPhoto(t, 320, 200)
	o := &rcSlowOrigin{started: make(chan struct{}, 64), release: make(chan struct{}), hits: map[string]int{}}
	var once sync.Once
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		o.started <- struct{}{}
		select {
		case <-o.release:
		case <-time.After(20 * time.Second):
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	o.releaseAll = func() { once.Do(func() { close(o.release) }) }
	t.Cleanup(func() { o.releaseAll(); o.Server.Close() })
	return o
}

// hitsOf returns how many requests for path reached the origin.
func (o *rcSlowOrigin) hitsOf(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func (o *rcSlowOrigin) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-o.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the request did not reach the slow origin within 20 s")
	}
}

// rcAsyncGet starts a GET and returns a channel with its status (or -1).
func rcAsyncGet(url string) <-chan int {
	ch := make(chan int, 1)
	go func() {
		c := &http.Client{Timeout: 30 * time.Second}
		resp, err := c.Get(url)
		if err != nil {
			ch <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch
}

func TestE2EMetrics(t *testing.T) {
	needTool(t, rcPromtoolBin)
	t.Parallel()
	for _, ns := range []string{"", "imgedge_e2e"} {
		t.Run("namespace="+ns, func(t *testing.T) {
			t.Parallel()
			rcTestMetrics(t, ns)
		})
	}
}

func rcTestMetrics(t *testing.T, ns string) {
	root := rcImageDir(t)
	origin := rcNewSlowOrigin(t)
	env := map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           root,
		"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_CONCURRENCY":                     "2",
	}
	if ns != "" {
		env["IMGPROXY_PROMETHEUS_NAMESPACE"] = ns
	}
	s := launch(t, env)
	maddr := rcMetricsAddr(t, s)
	n := func(name string) string {
		if ns == "" {
			return name
		}
		return ns + "_" + name
	}

	before := rcScrape(t, maddr)
	rcPromtool(t, "idle", before.text)

	// A request held at the origin shows in the gauges: it holds a
	// download slot, not a worker.
	held := rcAsyncGet(s.URL + "/insecure/rs:fit:64:64/plain/" + origin.URL + "/held.jpg")
	origin.waitStarted(t)
	during := rcScrape(t, maddr)
	rcPromtool(t, "one request in flight", during.text)
	for _, g := range []struct {
		name string
		want float64
	}{{"requests_in_progress", 1}, {"downloads_in_progress", 1}, {"images_in_progress", 0}, {"workers", 2},
		{"workers_utilization", 50}, {"download_slots", 32}} {
		if got := during.val(n(g.name)); got != g.want {
			t.Errorf("with one request in flight on 2 workers: %s = %v; want %v", n(g.name), got, g.want)
		}
	}
	origin.releaseAll()
	if st := <-held; st != http.StatusOK {
		t.Fatalf("held request: got %d; want 200", st)
	}

	// The load: distinct URLs (nothing coalesces), successes and three
	// kinds of errors, from 4 goroutines, with scrapes in the middle.
	var urls []string
	for i := 0; i < 20; i++ {
		urls = append(urls, fmt.Sprintf("/insecure/rs:fit:%d:%d/plain/local:///photo.jpg", 40+i, 40+i))
	}
	for i := 0; i < 4; i++ {
		urls = append(urls, fmt.Sprintf("/insecure/rs:fit:%d:10/plain/local:///nope%d.jpg", 10+i, i)) // 404 download
	}
	for i := 0; i < 3; i++ {
		urls = append(urls, fmt.Sprintf("/insecure/zz:%d/plain/local:///photo.jpg", i)) // 404 path_parsing
		urls = append(urls, fmt.Sprintf("/rs:fit:%d:1/plain/local:///photo.jpg", i+1))  // 403 security
	}
	for i := 0; i < 2; i++ {
		urls = append(urls, fmt.Sprintf("/insecure/raw:1/cb:%d/plain/local:///photo.jpg", i)) // 200 streamed
	}
	const ok200, nf404, fb403, raw = 20 + 2 + 1, 4 + 3, 3, 2
	var wg sync.WaitGroup
	work := make(chan string)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if st := <-rcAsyncGet(s.URL + u); st <= 0 {
					t.Errorf("GET %s failed", u)
				}
			}
		}()
	}
	var mid []string
	for i, u := range urls {
		work <- u
		if i%10 == 5 {
			mid = append(mid, rcScrape(t, maddr).text)
			// /health is neither logged nor counted.
			if st := <-rcAsyncGet(s.URL + "/health"); st != http.StatusOK {
				t.Errorf("/health during the load: got %d; want 200", st)
			}
		}
	}
	close(work)
	wg.Wait()
	for i, text := range mid {
		rcPromtool(t, fmt.Sprintf("scrape %d during the load", i), text)
	}
	after := rcScrape(t, maddr)
	rcPromtool(t, "after the load", after.text)
	if t.Failed() {
		t.Logf("final scrape:\n%s", after.text)
	}

	// Counters moved by exactly what was sent (the held request included).
	total := float64(len(urls) + 1)
	for _, d := range []struct {
		name string
		kv   []string
		want float64
	}{
		{"requests_total", nil, total},
		{"status_codes_total", []string{"status", "200"}, ok200},
		{"status_codes_total", []string{"status", "404"}, nf404},
		{"status_codes_total", []string{"status", "403"}, fb403},
		{"errors_total", []string{"type", "download"}, 4},
		{"errors_total", []string{"type", "path_parsing"}, 3},
		{"errors_total", []string{"type", "security"}, 3},
		{"errors_total", []string{"type", "processing"}, 0},
		{"errors_total", []string{"type", "timeout"}, 0},
		{"request_duration_seconds_count", nil, total},
		{"request_duration_seconds_bucket", []string{"le", "+Inf"}, total},
		{"request_span_duration_seconds_count", []string{"span", "processing_image"}, ok200 - raw},
		{"request_span_duration_seconds_count", []string{"span", "streaming_image"}, raw},
		{"processing_duration_seconds_count", nil, ok200 - raw},
	} {
		name := n(d.name)
		if !after.has(name, d.kv...) {
			t.Errorf("missing series %s", rcSeries(name, rcLabels(d.kv)))
			continue
		}
		b := before.val(name, d.kv...)
		if math.IsNaN(b) {
			b = 0
		}
		if got := after.val(name, d.kv...) - b; got != d.want {
			t.Errorf("%s moved by %v during the load; want %v", rcSeries(name, rcLabels(d.kv)), got, d.want)
		}
	}
	// The download span saw every fetch that got to the source.
	if got := after.val(n("request_span_duration_seconds_count"), "span", "downloading_source_image"); got < ok200-raw {
		t.Errorf("downloading_source_image span count %v; want >= %d", got, ok200-raw)
	}

	// Types, labels and buckets as imgproxy exposes them.
	for fam, typ := range map[string]string{
		"requests_total": "counter", "status_codes_total": "counter", "errors_total": "counter",
		"request_duration_seconds": "histogram", "request_span_duration_seconds": "histogram",
		"workers": "gauge", "requests_in_progress": "gauge", "images_in_progress": "gauge",
		"workers_utilization": "gauge", "vips_memory_bytes": "gauge", "vips_max_memory_bytes": "gauge",
		"vips_allocs": "gauge", "download_duration_seconds": "histogram", "processing_duration_seconds": "histogram",
		"buffer_size_bytes": "histogram", "queue_length": "gauge", "coalesced_requests_total": "counter",
	} {
		if got := after.types[n(fam)]; got != typ {
			t.Errorf("# TYPE %s: got %q; want %s", n(fam), got, typ)
		}
	}
	wantLe := []string{"+Inf", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "10", "2.5", "5"}
	for _, h := range []string{"request_duration_seconds_bucket", "request_span_duration_seconds_bucket", "download_duration_seconds_bucket", "processing_duration_seconds_bucket"} {
		if got := after.labelValues(n(h), "le"); !slices.Equal(got, wantLe) {
			t.Errorf("%s buckets: got %v; want %v", n(h), got, wantLe)
		}
	}
	// buffer_size_bytes{type="download"}: 1024·2^k for k = 0..13, then +Inf.
	var wantBuf, gotBuf []float64
	for k := 0; k < 14; k++ {
		wantBuf = append(wantBuf, float64(int64(1024)<<k))
	}
	for _, le := range after.labelValues(n("buffer_size_bytes_bucket"), "le") {
		var f float64
		if _, err := fmt.Sscanf(le, "%g", &f); err == nil && le != "+Inf" {
			gotBuf = append(gotBuf, f)
		}
	}
	slices.Sort(gotBuf)
	if !slices.Equal(gotBuf, wantBuf) || !after.has(n("buffer_size_bytes_bucket"), "type", "download", "le", "+Inf") {
		t.Errorf(`buffer_size_bytes{type="download"} buckets: got %v; want %v and +Inf`, gotBuf, wantBuf)
	}
	for _, span := range []string{"queue", "downloading_source_image", "processing_image", "streaming_image"} {
		if !after.has(n("request_span_duration_seconds_bucket"), "span", span, "le", "0.005") {
			t.Errorf("no request_span_duration_seconds series with span=%q", span)
		}
	}
	for _, typ := range []string{"path_parsing", "security", "queue", "download", "processing", "timeout", "streaming", "IO", "image_data_size", "unexpected"} {
		if !after.has(n("errors_total"), "type", typ) {
			t.Errorf("no errors_total{type=%q} series (dashboards expect every type)", typ)
		}
	}
	for _, g := range []struct {
		name string
		want float64
	}{{"requests_in_progress", 0}, {"images_in_progress", 0}, {"workers", 2}, {"workers_utilization", 0}} {
		if got := after.val(n(g.name)); got != g.want {
			t.Errorf("after the load: %s = %v; want %v", n(g.name), got, g.want)
		}
	}
	if got := after.val(n("vips_max_memory_bytes")); !(got > 0) {
		t.Errorf("vips_max_memory_bytes after processing 21 images = %v; want > 0", got)
	}
	// Go runtime and process collectors (with or without the namespace).
	for _, fam := range []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		v := after.val(fam)
		if math.IsNaN(v) {
			v = after.val(n(fam))
		}
		if !(v > 0) {
			t.Errorf("%s = %v; want a positive value", fam, v)
		}
	}
	// With a namespace, every imgedge family carries it.
	if ns != "" {
		for fam := range after.types {
			if !strings.HasPrefix(fam, ns+"_") && !strings.HasPrefix(fam, "go_") && !strings.HasPrefix(fam, "process_") {
				t.Errorf("family %s lacks the namespace %s_", fam, ns)
			}
		}
	}
}

// rcLogRecords parses every line of a JSON log; a line that is not a JSON
// object is an error.
func rcLogRecords(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range rcLines(logs) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line %d is not a JSON object (%v): %q", i+1, err, line)
			continue
		}
		out = append(out, rec)
	}
	return out
}

func TestE2ELogsJSON(t *testing.T) {
	t.Parallel()
	key, salt := "6c6f67206b6579", "6c6f672073616c74"
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": rcImageDir(t),
		"IMGPROXY_KEY":                   key,
		"IMGPROXY_SALT":                  salt,
		"IMGPROXY_LOG_FORMAT":            "json",
	})
	signed := func(path string) (full, sig string) {
		k, _ := hex.DecodeString(key)
		sa, _ := hex.DecodeString(salt)
		sig = sign.Sign(k, sa, []byte(path), 32)
		return "/" + sig + path, sig
	}
	type sent struct {
		id, path, sig string
		status        int
		level         string
		bytes         int
	}
	var reqs []sent
	for i, tc := range []struct {
		path   string
		status int
		level  string
	}{
		{"/rs:fit:100:100/plain/local:///photo.jpg", 200, "INFO"},
		{"/rs:fill:50:50/plain/local:///photo.jpg@webp", 200, "INFO"},
		{"/rs:fit:30:30/plain/local:///missing.jpg", 404, "WARN"},
	} {
		full, sig := signed(tc.path)
		id := fmt.Sprintf("e2e-log-%d", i)
		resp, body := getWith(t, nil, s.URL+full, "X-Request-ID", id)
		if resp.StatusCode != tc.status || resp.Header.Get("X-Request-Id") != id {
			t.Fatalf("GET %s: got %d, X-Request-ID %q; want %d, %s", full, resp.StatusCode, resp.Header.Get("X-Request-Id"), tc.status, id)
		}
		reqs = append(reqs, sent{id, tc.path, sig, tc.status, tc.level, len(body)})
	}
	// A forged signature: 403, logged without the signature it carried.
	forged := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if resp, body := getWith(t, nil, s.URL+"/"+forged+"/rs:fit:10:10/plain/local:///photo.jpg", "X-Request-ID", "e2e-log-forged"); resp.StatusCode != 403 {
		t.Errorf("forged signature: got %d; want 403", resp.StatusCode)
	} else {
		reqs = append(reqs, sent{"e2e-log-forged", "/rs:fit:10:10/plain/local:///photo.jpg", forged, 403, "WARN", len(body)})
	}
	if resp, _ := getWith(t, nil, s.URL+"/health", "X-Request-ID", "e2e-log-health"); resp.StatusCode != 200 {
		t.Errorf("/health: got %d; want 200", resp.StatusCode)
	}
	rcWaitRequests(t, s, "", len(reqs))

	recs := rcLogRecords(t, s.Logs())
	byID := map[string][]map[string]any{}
	for _, r := range recs {
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := r[k]; !ok {
				t.Errorf("log record without %q: %v", k, r)
			}
		}
		if id, ok := r["request_id"].(string); ok {
			byID[id] = append(byID[id], r)
		}
	}
	if len(byID["e2e-log-health"]) != 0 {
		t.Errorf("/health was logged: %v", byID["e2e-log-health"])
	}
	for _, q := range reqs {
		lines := byID[q.id]
		if len(lines) != 1 {
			t.Errorf("request %s (%s): %d log lines; want exactly 1: %v", q.id, q.path, len(lines), lines)
			continue
		}
		r := lines[0]
		if r["msg"] != "request" || r["method"] != "GET" || r["level"] != q.level {
			t.Errorf("request %s: msg %v, method %v, level %v; want request, GET, %s", q.id, r["msg"], r["method"], r["level"], q.level)
		}
		if st, _ := r["status"].(float64); int(st) != q.status {
			t.Errorf("request %s: logged status %v; want %d", q.id, r["status"], q.status)
		}
		if b, _ := r["bytes"].(float64); int(b) != q.bytes {
			t.Errorf("request %s: logged bytes %v; want %d (the body size)", q.id, r["bytes"], q.bytes)
		}
		path, _ := r["path"].(string)
		if strings.Contains(path, q.sig) || !strings.HasSuffix(path, q.path) {
			t.Errorf("request %s: logged path %q; want %q without the signature %q", q.id, path, q.path, q.sig)
		}
		for _, k := range []string{"queue_ms", "download_ms", "processing_ms", "total_ms"} {
			v, ok := r[k].(float64)
			if !ok || v < 0 {
				t.Errorf("request %s: %s = %v; want a duration in ms", q.id, k, r[k])
			}
		}
		if tot, _ := r["total_ms"].(float64); q.status == 200 && !(tot > 0) {
			t.Errorf("request %s: total_ms = %v; want > 0", q.id, tot)
		}
		if q.status == 200 {
			if src, _ := r["source"].(string); src != "local" {
				t.Errorf("request %s: source %q; want local", q.id, src)
			}
		} else if _, ok := r["error"]; !ok {
			t.Errorf("request %s (%d): no error cause logged: %v", q.id, q.status, r)
		}
	}
}

// rcLaunchUnix starts imgedge on a unix socket: used when its log level
// hides the "listening" line launch waits for. It returns a client for the
// socket and a function giving the output so far (after exit: all of it).
func rcLaunchUnix(t *testing.T, env map[string]string) (c *http.Client, p *os.Process, logs func() string, exited <-chan struct{}) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "imgedge.sock")
	env["IMGPROXY_NETWORK"] = "unix"
	env["IMGPROXY_BIND"] = sock
	cmd := exec.Command(imgedgeBin)
	cmd.Env = baseEnv(env)
	var mu sync.Mutex
	var out strings.Builder
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
		r.Close()
		cmd.Wait()
	}()
	logs = func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("imgedge output:\n%s", logs())
		}
	})
	c = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get("http://unix/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, cmd.Process, logs, done
			}
		}
		select {
		case <-done:
			t.Fatalf("imgedge exited at start-up:\n%s", logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("imgedge on %s did not answer /health within 30 s: %v\n%s", sock, err, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestE2ELogLevelWarn(t *testing.T) {
	t.Parallel()
	c, p, logs, exited := rcLaunchUnix(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": rcImageDir(t),
		"IMGPROXY_LOG_LEVEL":             "warn",
		"IMGPROXY_LOG_FORMAT":            "json",
	})
	for i, tc := range []struct {
		path   string
		status int
	}{
		{"/insecure/rs:fit:80:80/plain/local:///photo.jpg", 200},
		{"/insecure/rs:fit:60:60/plain/local:///photo.jpg@png", 200},
		{"/insecure/rs:fit:60:60/plain/local:///missing.jpg", 404},
	} {
		resp, _ := getWith(t, c, "http://unix"+tc.path, "X-Request-ID", fmt.Sprintf("warn-%d", i))
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: got %d; want %d", tc.path, resp.StatusCode, tc.status)
		}
	}
	// Stop the server so that every line has been written.
	p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("imgedge did not exit within 30 s of SIGTERM")
	}
	var warned bool
	for _, r := range rcLogRecords(t, logs()) {
		switch lvl, _ := r["level"].(string); lvl {
		case "INFO", "DEBUG":
			t.Errorf("%s line with IMGPROXY_LOG_LEVEL=warn: %v", lvl, r)
		}
		switch r["request_id"] {
		case "warn-0", "warn-1":
			t.Errorf("a 200 was logged with IMGPROXY_LOG_LEVEL=warn: %v", r)
		case "warn-2":
			warned = r["level"] == "WARN" && r["msg"] == "request"
		}
	}
	if !warned {
		t.Errorf("the 404 was not logged as a WARN request line with IMGPROXY_LOG_LEVEL=warn:\n%s", logs())
	}
}

// TestE2EBusyServer: the only download slot held by a slow source, one
// request queued for it. The download gauges show it, the next request gets
// 429 at once, an identical request joins the running one instead of
// fetching again, and /health keeps answering 200 because it never touches
// a queue. The worker stays free all along.
func TestE2EBusyServer(t *testing.T) {
	needTool(t, rcPromtoolBin)
	t.Parallel()
	origin := rcNewSlowOrigin(t)
	s := launch(t, map[string]string{
		"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_CONCURRENCY":                     "1",
		"IMGEDGE_DOWNLOADS":                        "1",
		"IMGPROXY_REQUESTS_QUEUE_SIZE":             "1",
		"IMGPROXY_TIMEOUT":                         "25",
	})
	maddr := rcMetricsAddr(t, s)
	img := func(w int, name string) string {
		return fmt.Sprintf("%s/insecure/rs:fit:%d:%d/plain/%s/%s", s.URL, w, w, origin.URL, name)
	}

	a := rcAsyncGet(img(64, "a.jpg")) // holds the only download slot
	origin.waitStarted(t)
	b := rcAsyncGet(img(65, "b.jpg")) // waits for it
	rcWaitMetric(t, maddr, "download_queue_length", 1)

	// Download slot and queue are full: 429 at once.
	start := time.Now()
	resp, body := getWith(t, nil, img(66, "c.jpg"))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || resp.Header.Get("Cache-Control") != "" {
		t.Errorf("request over the queue: got %d, Retry-After %q, Cache-Control %q (%q); want 429, 1, none",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Cache-Control"), truncate(body))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the 429 took %v; want an immediate answer", d)
	}

	// The same request as the one on the worker joins it.
	d := rcAsyncGet(img(64, "a.jpg"))
	busy := rcWaitMetric(t, maddr, "requests_in_progress", 3) // a, b, d
	rcPromtool(t, "busy", busy.text)
	for _, g := range []struct {
		name string
		want float64
	}{{"download_queue_length", 1}, {"downloads_in_progress", 1}, {"images_in_progress", 0}, {"queue_length", 0},
		{"workers", 1}, {"workers_utilization", 300}} {
		// workers_utilization is imgproxy's requests_in_progress / workers
		// × 100 (docs/metrics.md): downloading and joined requests count
		// although they hold no worker.
		if got := busy.val(g.name); got != g.want {
			t.Errorf("busy: %s = %v; want %v", g.name, got, g.want)
		}
	}
	if got := busy.val("errors_total", "type", "queue"); got != 1 {
		t.Errorf(`busy: errors_total{type="queue"} = %v; want 1`, got)
	}
	if got := busy.val("status_codes_total", "status", "429"); got != 1 {
		t.Errorf(`busy: status_codes_total{status="429"} = %v; want 1`, got)
	}

	// /health does not wait for a worker.
	hc := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < 3; i++ {
		resp, err := hc.Get(s.URL + "/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("/health with the worker and the queue full: %v, %v; want 200 within 2 s", resp, err)
		} else {
			resp.Body.Close()
		}
	}

	origin.releaseAll()
	for name, ch := range map[string]<-chan int{"a": a, "b (queued)": b, "d (joined a)": d} {
		select {
		case st := <-ch:
			if st != http.StatusOK {
				t.Errorf("request %s: got %d; want 200", name, st)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("request %s did not finish within 30 s", name)
		}
	}
	if got := origin.hitsOf("/a.jpg"); got != 1 {
		t.Errorf("the origin saw a.jpg %d times; want 1 (the identical request joined)", got)
	}
	after := rcScrape(t, maddr)
	rcPromtool(t, "after", after.text)
	for _, g := range []struct {
		name string
		want float64
	}{{"coalesced_requests_total", 1}, {"requests_total", 4}, {"queue_length", 0}, {"download_queue_length", 0},
		{"downloads_in_progress", 0}, {"download_memory_reserved_bytes", 0}, {"requests_in_progress", 0}, {"images_in_progress", 0}} {
		if got := after.val(g.name); got != g.want {
			t.Errorf("after: %s = %v; want %v", g.name, got, g.want)
		}
	}
	if got := after.val("status_codes_total", "status", "200"); got != 3 {
		t.Errorf(`after: status_codes_total{status="200"} = %v; want 3`, got)
	}
}

// rcCompact renders runs of equal strings as "x×n".
func rcCompact(ss []string) string {
	var b strings.Builder
	for i := 0; i < len(ss); {
		j := i
		for j < len(ss) && ss[j] == ss[i] {
			j++
		}
		fmt.Fprintf(&b, "%s×%d ", ss[i], j-i)
		i = j
	}
	return strings.TrimSpace(b.String())
}

// TestE2EHealthAfterSIGTERM: once imgedge has received SIGTERM, a load
// balancer's health probe sees 503 on fresh connections during
// IMGEDGE_DRAIN_DELAY and never healthy again, while a request in flight
// still completes and the process then exits 0 (docs/http.md "Routes").
func TestE2EHealthAfterSIGTERM(t *testing.T) {
	t.Parallel()
	origin := rcNewSlowOrigin(t)
	s := launch(t, map[string]string{
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_GRACEFUL_STOP_TIMEOUT":           "15",
		"IMGEDGE_DRAIN_DELAY":                      "2",
	})
	inflight := rcAsyncGet(s.URL + "/insecure/rs:fit:64:64/plain/" + origin.URL + "/slow.jpg")
	origin.waitStarted(t)
	if err := s.Proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	// Fresh connections each time, as a load balancer's probe.
	probe := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var seen []string
	var unhealthySince time.Time
	for time.Since(signalled) < 10*time.Second {
		res := "refused"
		if resp, err := probe.Get(s.URL + "/health"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			res = fmt.Sprint(resp.StatusCode)
		}
		seen = append(seen, res)
		switch {
		case res == "200" && !unhealthySince.IsZero():
			t.Errorf("/health answered 200 again after answering not-healthy (probes: %s)", rcCompact(seen))
		case res != "200" && unhealthySince.IsZero():
			unhealthySince = time.Now()
		}
		if !unhealthySince.IsZero() && time.Since(unhealthySince) > 500*time.Millisecond && res != "503" {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Logf("health probes after SIGTERM: %s", rcCompact(seen))
	if unhealthySince.IsZero() {
		t.Errorf("/health still answered 200 10 s after SIGTERM (probes: %s)", rcCompact(seen))
	}
	n503 := 0
	for _, r := range seen {
		if r == "503" {
			n503++
		}
	}
	// The drain delay is 2 s and probes come every ~25 ms: a load balancer
	// must see many 503s, not a refused connection straight away.
	if n503 < 5 {
		t.Errorf("/health answered 503 %d times during the drain delay; want several (probes: %s)", n503, rcCompact(seen))
	}
	origin.releaseAll()
	select {
	case st := <-inflight:
		if st != http.StatusOK {
			t.Errorf("in-flight request: got %d; want 200", st)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the in-flight request did not finish within 20 s")
	}
	exited := make(chan struct{})
	go func() { s.Wait(); close(exited) }()
	select {
	case <-exited:
		if st, _ := s.Wait(); st == nil || st.ExitCode() != 0 {
			t.Errorf("exit status after SIGTERM: %v; want 0", st)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("imgedge did not exit within 20 s of SIGTERM")
	}
}
