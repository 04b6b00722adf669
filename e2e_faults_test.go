package main

// Faults against the real binary: origins that reset or
// fail, clients that go away mid-response, and SIGTERM under load. The
// worker accounting is checked through the Prometheus listener
// (requests_in_progress back to 0), so a leaked request would show.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ftHijack takes over the connection of an origin handler.
func ftHijack(t *testing.T, w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	c, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return nil, nil
	}
	return c, rw
}

// ftReset closes c with SO_LINGER 0: the peer gets a TCP RST.
func ftReset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func TestE2EFaultsOrigin(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	// Reset after half the announced body.
	mux.HandleFunc("/reset-mid-body", func(w http.ResponseWriter, r *http.Request) {
		c, rw := ftHijack(t, w)
		if c == nil {
			return
		}
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(photo))
		rw.Write(photo[:len(photo)/2])
		rw.Flush()
		time.Sleep(50 * time.Millisecond)
		ftReset(c)
	})
	// Reset in the middle of a chunked body (no length announced).
	mux.HandleFunc("/reset-chunked", func(w http.ResponseWriter, r *http.Request) {
		c, rw := ftHijack(t, w)
		if c == nil {
			return
		}
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", len(photo)/2)
		rw.Write(photo[:len(photo)/2])
		rw.WriteString("\r\n")
		rw.Flush()
		time.Sleep(50 * time.Millisecond)
		ftReset(c)
	})
	// Clean close (FIN) after half the announced body.
	mux.HandleFunc("/close-mid-body", func(w http.ResponseWriter, r *http.Request) {
		c, rw := ftHijack(t, w)
		if c == nil {
			return
		}
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(photo))
		rw.Write(photo[:len(photo)/3])
		rw.Flush()
		c.Close()
	})
	// Reset before any response.
	mux.HandleFunc("/reset-before-headers", func(w http.ResponseWriter, r *http.Request) {
		if c, _ := ftHijack(t, w); c != nil {
			ftReset(c)
		}
	})
	// Garbage instead of HTTP.
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) {
		if c, rw := ftHijack(t, w); c != nil {
			rw.WriteString("SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02")
			rw.Flush()
			c.Close()
		}
	})
	// Headers, part of the body, then silence past the download timeout.
	mux.HandleFunc("/stall-mid-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(photo)))
		w.WriteHeader(200)
		w.Write(photo[:1000])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	for _, code := range []int{500, 502, 503, 404, 403, 401, 410, 429} {
		code := code
		mux.HandleFunc("/status/"+strconv.Itoa(code), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			io.WriteString(w, "<html>origin error</html>")
		})
	}
	origin := httptest.NewServer(mux)
	defer origin.Close()
	defer origin.CloseClientConnections()

	s := launch(t, map[string]string{
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           samplesRoot(t),
		"IMGPROXY_DOWNLOAD_TIMEOUT":                "2",
		"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
	})
	metrics := rcMetricsAddr(t, s)

	const unreachable, incomplete = "Source is unreachable", "Source response is incomplete"
	for _, tc := range []struct {
		path   string
		status []int
		body   []string
	}{
		{"/ok.jpg", []int{200}, nil},
		{"/reset-mid-body", []int{422, 404}, []string{incomplete, unreachable}},
		{"/reset-chunked", []int{422, 404}, []string{incomplete, unreachable}},
		{"/close-mid-body", []int{422}, []string{incomplete}},
		{"/reset-before-headers", []int{404}, []string{unreachable}},
		{"/garbage", []int{404}, []string{unreachable}},
		{"/stall-mid-body", []int{504}, []string{unreachable}},
		{"/status/500", []int{502}, []string{unreachable}},
		{"/status/502", []int{502}, []string{unreachable}},
		{"/status/503", []int{502}, []string{unreachable}},
		{"/status/404", []int{404}, []string{unreachable}},
		{"/status/403", []int{403}, []string{unreachable}},
		{"/status/401", []int{401}, []string{unreachable}},
		{"/status/410", []int{410}, []string{unreachable}},
		{"/status/429", []int{429}, []string{unreachable}},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			resp, body := s.get(t, "/insecure/rs:fit:80:80/plain/"+origin.URL+tc.path)
			okStatus, okBody := false, tc.body == nil
			for _, st := range tc.status {
				okStatus = okStatus || resp.StatusCode == st
			}
			for _, b := range tc.body {
				okBody = okBody || string(body) == b
			}
			if !okStatus || !okBody {
				t.Errorf("origin %s: got %d %q; want a status in %v with a body in %q", tc.path, resp.StatusCode, truncate(body), tc.status, tc.body)
			}
			if resp.StatusCode >= 400 && resp.Header.Get("Cache-Control") != "" {
				t.Errorf("origin %s: error %d carries Cache-Control %q", tc.path, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			if resp, _ := s.get(t, "/health"); resp.StatusCode != 200 {
				t.Fatalf("/health after origin %s: %d", tc.path, resp.StatusCode)
			}
		})
	}
	rcWaitMetric(t, metrics, "requests_in_progress", 0)
	rcWaitMetric(t, metrics, "images_in_progress", 0)
}

// A client that goes away mid-response or while its request waits for a
// slow origin does not hurt the server: later requests are served and no
// request stays counted in flight.
func TestE2EFaultsClientDisconnect(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var slowHits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowHits.Add(1)
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second):
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer origin.Close()
	defer origin.CloseClientConnections()

	s := launch(t, map[string]string{
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           samplesRoot(t),
		"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
		"IMGPROXY_CONCURRENCY":                     "2",
	})
	metrics := rcMetricsAddr(t, s)

	// A large response (full-size JPEG at q:100, a few hundred KB) read
	// for 1 KB through a 4 KB receive buffer, so the server is still
	// writing, then dropped: half of them with an RST, half with a FIN.
	big := "/insecure/rs:fit:1200:800/q:100/plain/local:///photo.jpg"
	resp, full := s.get(t, big)
	if resp.StatusCode != 200 || len(full) < 128<<10 {
		t.Fatalf("large control response: %d, %d bytes; want 200 and >= 128 KB", resp.StatusCode, len(full))
	}
	dialer := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	for i := 0; i < 10; i++ {
		c, err := dialer.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		// A distinct cache buster per request: no coalescing.
		fmt.Fprintf(c, "GET /insecure/cb:%d/rs:fit:1200:800/q:100/plain/local:///photo.jpg HTTP/1.1\r\nHost: x\r\n\r\n", i)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 1024)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatalf("reading the first KB: %v", err)
		}
		if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200")) {
			t.Fatalf("response starts %q; want HTTP/1.1 200", buf[:20])
		}
		if i%2 == 0 {
			ftReset(c)
		} else {
			c.Close()
		}
	}
	// Clients that give up while the origin is slow (before any byte of the
	// response).
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/insecure/rs:fit:%d:50/plain/%s/slow.jpg", s.URL, 50+i, origin.URL), nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				t.Errorf("slow request %d: got %d before the origin answered", i, resp.StatusCode)
			}
		}(i)
	}
	wg.Wait()
	if slowHits.Load() == 0 {
		t.Error("no slow request reached the origin")
	}
	rcWaitMetric(t, metrics, "requests_in_progress", 0)
	rcWaitMetric(t, metrics, "images_in_progress", 0)

	// Still serving, and the full response is intact.
	resp, again := s.get(t, big)
	if resp.StatusCode != 200 || !bytes.Equal(again, full) {
		t.Errorf("after the disconnects: %d, %d bytes; want 200 and the same %d bytes", resp.StatusCode, len(again), len(full))
	}
	if resp, _ := s.get(t, "/health"); resp.StatusCode != 200 {
		t.Errorf("/health after the disconnects: %d; want 200", resp.StatusCode)
	}
	// docs/http.md: a client that went away is logged 499
	// (Cancelled) and its work is dropped (edge watches the connection).
	logged499 := regexp.MustCompile(`"status":499`)
	for deadline := time.Now().Add(5 * time.Second); !logged499.MatchString(s.Logs()) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // log lines arrive through a pipe
	}
	if !logged499.MatchString(s.Logs()) {
		t.Errorf("none of the abandoned slow requests was logged 499; want their work cancelled")
	}
	hxCheckRSS(t, s, "client disconnects")
}

// SIGTERM with requests in flight and queued: every accepted request gets
// its full 200, then the process exits 0.
func TestE2EFaultsShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var arrived atomic.Int64
	release := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		case <-time.After(30 * time.Second):
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer origin.Close()
	defer origin.CloseClientConnections()
	var releaseOnce sync.Once
	defer releaseOnce.Do(func() { close(release) })

	s := launch(t, map[string]string{
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_PROMETHEUS_BIND":                 "127.0.0.1:0",
		"IMGPROXY_CONCURRENCY":                     "4", // 4 at the origin, 8 queued
		"IMGPROXY_GRACEFUL_STOP_TIMEOUT":           "20",
		"IMGPROXY_TIMEOUT":                         "20",
	})
	metrics := rcMetricsAddr(t, s)

	type result struct {
		i, status int
		body      []byte
		err       error
	}
	results := make(chan result, n)
	client := &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 0, DisableKeepAlives: true}}
	for i := 0; i < n; i++ {
		go func(i int) {
			// Distinct widths: no two requests coalesce.
			resp, err := client.Get(fmt.Sprintf("%s/insecure/rs:fit:%d:0/plain/%s/img%d.jpg", s.URL, 40+i, origin.URL, i))
			if err != nil {
				results <- result{i: i, err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			results <- result{i: i, status: resp.StatusCode, body: b, err: err}
		}(i)
	}
	// All n accepted: in flight in the server (4 at the origin, the rest
	// waiting for a worker).
	rcWaitMetric(t, metrics, "requests_in_progress", n)
	if got := arrived.Load(); got != 4 {
		t.Logf("%d requests at the origin before SIGTERM; want 4 (the pool size)", got)
	}
	if err := s.Proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	releaseOnce.Do(func() { close(release) })

	for k := 0; k < n; k++ {
		select {
		case r := <-results:
			if r.err != nil || r.status != 200 {
				t.Errorf("request %d accepted before SIGTERM: status %d, error %v; want 200", r.i, r.status, r.err)
				continue
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(r.body))
			if err != nil || cfg.Width != 40+r.i {
				t.Errorf("request %d: got %dx%d (%v); want width %d", r.i, cfg.Width, cfg.Height, err, 40+r.i)
			}
		case <-time.After(40 * time.Second):
			t.Fatalf("only %d of %d requests finished within 40 s of SIGTERM", k, n)
		}
	}
	exited := make(chan struct{})
	go func() { s.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(25 * time.Second):
		t.Fatal("imgedge did not exit within 25 s of SIGTERM")
	}
	if st, _ := s.Wait(); st == nil || st.ExitCode() != 0 {
		t.Errorf("exit status after SIGTERM under load: %v; want 0", st)
	}
	if got := arrived.Load(); got != n {
		t.Errorf("origin saw %d requests; want %d (each accepted request fetched once)", got, n)
	}
}

// S3, GCS and Azure endpoints that answer every call with 500 (and, for a
// second object, reset the connection mid-body): the request ends with an
// error status (never 500 nor a hang past the download timeout), the SDK
// retries stay bounded and the server keeps serving.
func TestE2EFaultsObjectStores(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var hits sync.Map // store -> *atomic.Int64
	count := func(store string) int64 {
		v, _ := hits.LoadOrStore(store, new(atomic.Int64))
		return v.(*atomic.Int64).Load()
	}
	store := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			v, _ := hits.LoadOrStore(name, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			if strings.Contains(r.URL.Path, "reset.jpg") && r.Method == http.MethodGet {
				c, rw := ftHijack(t, w)
				if c == nil {
					return
				}
				fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(photo))
				rw.Write(photo[:len(photo)/2])
				rw.Flush()
				ftReset(c)
				return
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
		}
	}
	s3 := httptest.NewServer(store("s3"))
	defer s3.Close()
	gcs := httptest.NewServer(store("gcs"))
	defer gcs.Close()
	abs := httptest.NewServer(store("abs"))
	defer abs.Close()

	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
		"IMGPROXY_DOWNLOAD_TIMEOUT":      "4",
		"IMGPROXY_USE_S3":                "true",
		"IMGPROXY_S3_ENDPOINT":           s3.URL,
		"IMGPROXY_S3_REGION":             "us-east-1",
		"AWS_ACCESS_KEY_ID":              "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":          "secrettest",
		"AWS_EC2_METADATA_DISABLED":      "true",
		"IMGPROXY_USE_GCS":               "true",
		"IMGPROXY_GCS_ENDPOINT":          gcs.URL + "/storage/v1/",
		"IMGPROXY_USE_ABS":               "true",
		"IMGPROXY_ABS_NAME":              "devstoreaccount1",
		"IMGPROXY_ABS_KEY":               "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
		"IMGPROXY_ABS_ENDPOINT":          abs.URL + "/devstoreaccount1",
	})
	for _, tc := range []struct{ store, url string }{
		{"s3", "s3://bucket/a.jpg"}, {"gcs", "gs://bucket/a.jpg"}, {"abs", "abs://container/a.jpg"},
		{"s3", "s3://bucket/reset.jpg"}, {"gcs", "gs://bucket/reset.jpg"}, {"abs", "abs://container/reset.jpg"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			before := count(tc.store)
			resp, body := s.get(t, "/insecure/rs:fit:50:50/plain/"+tc.url)
			switch {
			case resp.StatusCode == 500 || resp.StatusCode < 400:
				t.Errorf("%s: got %d %q; want a 4xx or 502/503/504", tc.url, resp.StatusCode, truncate(body))
			case resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "image/"):
				t.Errorf("%s: error with an image Content-Type", tc.url)
			}
			n := count(tc.store) - before
			t.Logf("%s: %d %q after %d calls to the store", tc.url, resp.StatusCode, body, n)
			if n == 0 {
				t.Errorf("%s: the store was never called", tc.url)
			}
			if n > 20 {
				t.Errorf("%s: %d calls to the store; want bounded retries (<= 20)", tc.url, n)
			}
			checkAlive(t, s, "photo.jpg")
		})
	}
}
