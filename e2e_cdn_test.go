package main

// End-to-end tests of imgedge as a CDN origin (issue 5) and of its metrics
// endpoint (issue 8), with real programs from Debian: Varnish in front of
// the real binary, headless Chromium loading an <img>, and promtool
// linting the scraped metrics. Each test is skipped only when its program
// is not installed.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	cdnVarnishd = "/usr/sbin/varnishd"
	cdnChromium = "/usr/bin/chromium"
	cdnPromtool = "/usr/bin/promtool"
)

func cdnNeed(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not installed", path)
	}
}

// cdnFreePort asks the kernel for a free loopback port for programs that
// cannot report the port they bound (varnishd, the metrics listener).
func cdnFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// cdnRoot is a writable local source root holding photo.jpg.
func cdnRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	data, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "photo.jpg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// cdnStartVarnish runs varnishd in the foreground in front of backend
// (host:port) and returns its base URL. X-Cache tells HIT/MISS and X-Was-304
// whether the last backend fetch was a 304 revalidation.
func cdnStartVarnish(t *testing.T, backend string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(backend)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "imgedge-varnish-")
	if err != nil {
		t.Fatal(err)
	}
	// The cache child runs as an unprivileged user: it must reach its workdir.
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	vcl := fmt.Sprintf(`vcl 4.1;
backend default { .host = %q; .port = %q; }
sub vcl_backend_response {
	set beresp.keep = 60s;
	set beresp.http.X-Was-304 = beresp.was_304;
}
sub vcl_deliver {
	if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
}
`, host, port)
	vclPath := filepath.Join(dir, "test.vcl")
	if err := os.WriteFile(vclPath, []byte(vcl), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", cdnFreePort(t))
	var out bytes.Buffer
	cmd := exec.Command(cdnVarnishd, "-F", "-n", filepath.Join(dir, "work"), "-a", addr, "-f", vclPath,
		"-s", "malloc,32m", "-p", "default_ttl=1", "-p", "default_grace=0")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("varnishd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("varnishd output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("varnishd did not listen on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCDNVarnish(t *testing.T) {
	cdnNeed(t, cdnVarnishd)
	t.Parallel()
	root := cdnRoot(t)
	photo, err := os.ReadFile(filepath.Join(root, "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// An HTTP origin that fails with 500 until told otherwise.
	var originOK sync.Mutex
	healthy := false
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originOK.Lock()
		ok := healthy
		originOK.Unlock()
		if !ok {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer origin.Close()
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           root,
		"IMGPROXY_AUTO_WEBP":                       "true",
		"IMGPROXY_TTL":                             "2",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
	})
	cdn := cdnStartVarnish(t, s.Addr)
	const path = "/insecure/rs:fit:120:120/plain/local:///photo.jpg"

	type answer struct {
		status            int
		ct, cache, was304 string
		etag, cc, vary    string
		body              []byte
	}
	fetch := func(p string, hdr ...string) answer {
		t.Helper()
		resp, body := get(t, cdn+p, hdr...)
		return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Cache"),
			resp.Header.Get("X-Was-304"), resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"),
			resp.Header.Get("Vary"), body}
	}
	want := func(what string, a answer, status int, ct, cache string) {
		t.Helper()
		if a.status != status || a.ct != ct || a.cache != cache {
			t.Errorf("%s: got %d %q %s; want %d %q %s", what, a.status, a.ct, a.cache, status, ct, cache)
		}
	}

	// A second request is a cache hit; Accept variants are cached apart (Vary).
	webp1 := fetch(path, "Accept", "image/webp,*/*")
	want("first webp", webp1, 200, "image/webp", "MISS")
	if webp1.vary != "Accept" || webp1.cc != "max-age=2, public" || webp1.etag == "" {
		t.Errorf("origin headers: Vary %q, Cache-Control %q, ETag %q", webp1.vary, webp1.cc, webp1.etag)
	}
	webp2 := fetch(path, "Accept", "image/webp,*/*")
	want("second webp", webp2, 200, "image/webp", "HIT")
	if !bytes.Equal(webp1.body, webp2.body) {
		t.Errorf("cached body differs from the origin's")
	}
	want("first jpeg", fetch(path, "Accept", "*/*"), 200, "image/jpeg", "MISS")
	want("second jpeg", fetch(path, "Accept", "*/*"), 200, "image/jpeg", "HIT")
	want("webp again", fetch(path, "Accept", "image/webp,*/*"), 200, "image/webp", "HIT")

	// A client revalidation is answered 304 from the cache.
	if a := fetch(path, "Accept", "image/webp,*/*", "If-None-Match", webp1.etag); a.status != 304 {
		t.Errorf("client If-None-Match: got %d; want 304", a.status)
	}

	// Once the TTL ran out, Varnish revalidates with the origin, which
	// answers 304 without processing.
	time.Sleep(2500 * time.Millisecond)
	a := fetch(path, "Accept", "image/webp,*/*")
	if a.status != 200 || a.was304 != "true" || !bytes.Equal(a.body, webp1.body) {
		t.Errorf("revalidation: got %d X-Was-304=%q (body equal %v); want 200 refreshed by a backend 304",
			a.status, a.was304, bytes.Equal(a.body, webp1.body))
	}
	// The access log line is written after the response is sent: poll.
	logged304 := regexp.MustCompile(`"status":304`)
	for deadline := time.Now().Add(5 * time.Second); !logged304.MatchString(s.Logs()) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !logged304.MatchString(s.Logs()) {
		t.Errorf("imgedge logged no 304 answer")
	}

	// An error is not cached beyond its (short, default) TTL: imgedge sends
	// no Cache-Control on a 404, so once the source appears it is served.
	const missing = "/insecure/rs:fit:50:50/plain/local:///late.jpg"
	e := fetch(missing)
	if e.status != 404 || e.cc != "" {
		t.Errorf("missing source: got %d Cache-Control %q; want 404 without Cache-Control", e.status, e.cc)
	}
	data, _ := os.ReadFile(filepath.Join(root, "photo.jpg"))
	if err := os.WriteFile(filepath.Join(root, "late.jpg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if a := fetch(missing); a.status != 200 || a.ct != "image/jpeg" {
		t.Errorf("after the source appeared: got %d %q; want 200 image/jpeg", a.status, a.ct)
	}

	// An origin 5xx becomes a 502 that the CDN does not keep: the next
	// request after the origin recovered gets the image at once.
	broken := "/insecure/rs:fit:60:60/plain/" + origin.URL + "/img.jpg"
	if a := fetch(broken); a.status != 502 || a.cc != "" {
		t.Errorf("origin 500: got %d Cache-Control %q; want 502 without Cache-Control", a.status, a.cc)
	}
	originOK.Lock()
	healthy = true
	originOK.Unlock()
	if a := fetch(broken); a.status != 200 || a.ct != "image/jpeg" {
		t.Errorf("origin recovered: got %d %q %s; want 200 image/jpeg at once", a.status, a.ct, a.cache)
	}
}

// cdnImgRecorder proxies image requests to imgedge and records what the
// browser asked for and what it received.
type cdnImgRecorder struct {
	mu          sync.Mutex
	accept, ct  string
	status      int
	contentSize int64
}

func TestCDNChromium(t *testing.T) {
	cdnNeed(t, cdnChromium)
	t.Parallel()
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
		"IMGPROXY_AUTO_WEBP":             "true",
		"IMGPROXY_AUTO_AVIF":             "true",
	})
	target, _ := url.Parse(s.URL)
	rec := &cdnImgRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if !strings.HasPrefix(r.Request.URL.Path, "/insecure/") {
			return nil // e.g. the browser's /favicon.ico
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.accept = r.Request.Header.Get("Accept")
		rec.ct = r.Header.Get("Content-Type")
		rec.status = r.StatusCode
		rec.contentSize = r.ContentLength
		return nil
	}
	const width = 123
	page := fmt.Sprintf(`<!doctype html><html><body><img id="i" src="/insecure/w:%d/plain/local:///photo.jpg">
<script>
var img = document.getElementById('i');
function done(){ document.body.setAttribute('data-result', 'loaded:' + img.naturalWidth); }
if (img.complete && img.naturalWidth) done(); else {
  img.onload = done;
  img.onerror = function(){ document.body.setAttribute('data-result', 'error'); };
}
</script></body></html>`, width)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer site.Close()

	cmd := exec.Command(cdnChromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", site.URL+"/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("chromium did not finish in 90 s")
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`data-result="([^"]*)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("page did not report the image; DOM:\n%s", out)
	}
	if got, want := string(m[1]), fmt.Sprintf("loaded:%d", width); got != want {
		t.Errorf("naturalWidth: got %q; want %q", got, want)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.status != 200 {
		t.Errorf("image status: got %d; want 200", rec.status)
	}
	wantCT := "image/webp"
	if strings.Contains(rec.accept, "image/avif") {
		wantCT = "image/avif"
	}
	if rec.ct != wantCT {
		t.Errorf("browser sent Accept %q and got %q; want %q", rec.accept, rec.ct, wantCT)
	}
}

func TestCDNMetricsPromtool(t *testing.T) {
	cdnNeed(t, cdnPromtool)
	t.Parallel()
	maddr := fmt.Sprintf("127.0.0.1:%d", cdnFreePort(t))
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
		"IMGPROXY_PROMETHEUS_BIND":       maddr,
		"IMGPROXY_PROMETHEUS_NAMESPACE":  "imgproxy",
	})
	scrape := func() string {
		t.Helper()
		resp, body := get(t, "http://"+maddr+"/any/path")
		if resp.StatusCode != 200 {
			t.Fatalf("metrics: got %d", resp.StatusCode)
		}
		return string(body)
	}
	// A short load: successes and errors from several goroutines.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				cdnLoadGet(t, fmt.Sprintf("%s/insecure/rs:fit:%d:%d/plain/local:///photo.jpg", s.URL, 40+i, 40+j))
			}
			cdnLoadGet(t, s.URL+"/insecure/rs:fit:10:10/plain/local:///nope.jpg")
		}(i)
	}
	mid := scrape() // during the load
	wg.Wait()
	final := scrape()
	for _, text := range []string{mid, final} {
		cmd := exec.Command(cdnPromtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
	for _, want := range []string{
		"imgproxy_requests_total 24\n",
		`imgproxy_status_codes_total{status="200"} 20` + "\n",
		`imgproxy_status_codes_total{status="404"} 4` + "\n",
		`imgproxy_errors_total{type="download"} 4` + "\n",
		"imgproxy_request_duration_seconds_count 24\n",
		`imgproxy_request_duration_seconds_bucket{le="+Inf"} 24` + "\n",
		`imgproxy_request_span_duration_seconds_count{span="processing_image"} 20` + "\n",
		"# TYPE imgproxy_workers gauge\n",
		"# TYPE imgproxy_requests_in_progress gauge\n",
		"# TYPE imgproxy_images_in_progress gauge\n",
		"# TYPE imgproxy_workers_utilization gauge\n",
		"# TYPE imgproxy_vips_memory_bytes gauge\n",
		"# TYPE imgproxy_vips_max_memory_bytes gauge\n",
		"# TYPE imgproxy_vips_allocs gauge\n",
		"# TYPE imgproxy_buffer_size_bytes histogram\n",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("metrics: missing %q", want)
		}
	}
	if t.Failed() {
		t.Logf("final scrape:\n%s", final)
	}
}

// cdnLoadGet is a GET usable from load goroutines (reports with Errorf).
func cdnLoadGet(t *testing.T, u string) {
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
