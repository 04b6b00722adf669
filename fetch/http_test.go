package fetch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// newLoopbackFetcher builds a Fetcher that may reach test origins on
// 127.0.0.1.
func newLoopbackFetcher(t *testing.T, mutate func(*Config)) *Fetcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.AllowLoopback = true
	if mutate != nil {
		mutate(&cfg)
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func mustFetch(t *testing.T, f *Fetcher, ctx context.Context, url string, cond *options.Conditional, meta *options.SourceMeta) []byte {
	t.Helper()
	src, err := f.Fetch(ctx, url, cond, 0)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", url, err)
	}
	if meta != nil {
		*meta = src.Meta
	}
	out := bytes.Clone(src.Data)
	src.Release()
	return out
}

func TestHTTPFetchOK(t *testing.T) {
	body := randomBytes(300_000)
	var gotUA, gotCustom, gotAE atomic.Value
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.UserAgent())
		gotCustom.Store(r.Header.Get("X-Test"))
		gotAE.Store(r.Header.Get("Accept-Encoding"))
		h := w.Header()
		h.Set("ETag", `"abc"`)
		h.Set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
		h.Set("Cache-Control", "max-age=60")
		h.Set("Expires", "Thu, 22 Oct 2015 07:28:00 GMT")
		h.Set("Content-Type", "image/png")
		switch r.URL.Path {
		case "/chunked":
			w.(http.Flusher).Flush() // no Content-Length: chunked
			w.Write(body[:1000])
			w.(http.Flusher).Flush()
			w.Write(body[1000:])
		case "/partial":
			h.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(body)-1, len(body)))
			h.Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(body)
		default:
			h.Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		}
	})
	old := Version
	Version = "9.9.9"
	f := newLoopbackFetcher(t, func(c *Config) {
		c.Header = http.Header{"X-Test": {"yes"}}
	})
	Version = old
	for _, path := range []string{"/len", "/chunked", "/partial"} {
		var meta options.SourceMeta
		got := mustFetch(t, f, context.Background(), srv.URL+path, nil, &meta)
		if !bytes.Equal(got, body) {
			t.Fatalf("%s: got %d bytes; want the %d origin bytes", path, len(got), len(body))
		}
		want := options.SourceMeta{ETag: `"abc"`, LastModified: "Wed, 21 Oct 2015 07:28:00 GMT",
			CacheControl: "max-age=60", Expires: "Thu, 22 Oct 2015 07:28:00 GMT", ContentType: "image/png"}
		if meta != want {
			t.Fatalf("%s: got meta %+v; want %+v", path, meta, want)
		}
	}
	if ua := gotUA.Load(); ua != "imgproxy/9.9.9" {
		t.Fatalf("got User-Agent %q; want %q", ua, "imgproxy/9.9.9")
	}
	if v := gotCustom.Load(); v != "yes" {
		t.Fatalf("got X-Test %q; want %q", v, "yes")
	}
	if v := gotAE.Load(); v != "gzip, deflate" {
		t.Fatalf("got Accept-Encoding %q; want %q", v, "gzip, deflate")
	}
}

func TestHTTPStatusMapping(t *testing.T) {
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/403":
			w.WriteHeader(403)
		case "/500":
			w.WriteHeader(500)
		case "/503":
			w.WriteHeader(503)
		case "/204":
			w.WriteHeader(204)
		case "/206":
			w.Header().Set("Content-Range", "bytes 0-9/100")
			w.WriteHeader(206)
			w.Write(make([]byte, 10))
		case "/304":
			w.WriteHeader(304) // unsolicited: we sent no validator
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	f := newLoopbackFetcher(t, nil)
	for _, c := range []struct {
		path     string
		kind     options.ErrorKind
		upstream int
	}{
		{"/404", options.KindUpstreamStatus, 404},
		{"/403", options.KindUpstreamStatus, 403},
		{"/500", options.KindUpstreamStatus, 500},
		{"/503", options.KindUpstreamStatus, 503},
		{"/204", options.KindUnreachable, 0},
		{"/206", options.KindUnreachable, 0},
		{"/304", options.KindUnreachable, 0},
		{"/loop", options.KindUnreachable, 0},
	} {
		src, err := f.Fetch(context.Background(), srv.URL+c.path, nil, 0)
		if src.Data != nil {
			t.Fatalf("%s: got data on error", c.path)
		}
		wantKind(t, err, c.kind)
		if got := err.(*options.Error).UpstreamStatus; got != c.upstream {
			t.Fatalf("%s: got upstream status %d; want %d", c.path, got, c.upstream)
		}
	}

	// Connection refused and unknown schemes are unreachable.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	for _, url := range []string{"http://" + addr + "/x", "ftp://example.com/x", "s3://bucket/key",
		"gs://b/k", "abs://c/b", "local:///x", "no-scheme", "http:///nohost"} {
		_, err := f.Fetch(context.Background(), url, nil, 0)
		wantKind(t, err, options.KindUnreachable)
	}
}

func TestHTTPRedirects(t *testing.T) {
	// /r/N redirects N more times, then serves.
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(304)
			return
		}
		w.Write([]byte("done"))
	})
	for _, c := range []struct {
		max, hops int
		ok        bool
	}{{0, 0, true}, {0, 1, false}, {3, 3, true}, {3, 4, false}, {10, 10, true}, {10, 11, false}} {
		f := newLoopbackFetcher(t, func(cfg *Config) { cfg.MaxRedirects = c.max })
		src, err := f.Fetch(context.Background(), fmt.Sprintf("%s/r/%d", srv.URL, c.hops), nil, 0)
		if c.ok {
			if err != nil || string(src.Data) != "done" {
				t.Fatalf("max %d, %d hops: got %q, %v; want %q", c.max, c.hops, src.Data, err, "done")
			}
			src.Release()
		} else {
			wantKind(t, err, options.KindUnreachable)
		}
	}
	// Conditional headers survive redirects.
	f := newLoopbackFetcher(t, nil)
	src, err := f.Fetch(context.Background(), srv.URL+"/r/2", &options.Conditional{IfNoneMatch: `"v1"`}, 0)
	if err != nil || !src.Meta.NotModified {
		t.Fatalf("conditional after redirects: got %v, NotModified=%v; want nil, true", err, src.Meta.NotModified)
	}
}

func TestHTTPConditional(t *testing.T) {
	const etag = `"v42"`
	const lm = "Wed, 21 Oct 2015 07:28:00 GMT"
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lm)
		w.Header().Set("Cache-Control", "max-age=5")
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("image"))
	})
	f := newLoopbackFetcher(t, nil)
	for _, cond := range []*options.Conditional{{IfNoneMatch: etag}, {IfModifiedSince: lm}} {
		src, err := f.Fetch(context.Background(), srv.URL, cond, 0)
		if err != nil {
			t.Fatal(err)
		}
		meta := src.Meta
		if !meta.NotModified || len(src.Data) != 0 || meta.ETag != etag || meta.LastModified != lm || meta.CacheControl != "max-age=5" {
			t.Fatalf("cond %+v: got data %q meta %+v; want not modified with validators", cond, src.Data, meta)
		}
		src.Release()
	}
	var meta options.SourceMeta
	got := mustFetch(t, f, context.Background(), srv.URL, &options.Conditional{IfNoneMatch: `"other"`}, &meta)
	if string(got) != "image" || meta.NotModified {
		t.Fatalf("non-matching validator: got %q NotModified=%v; want %q, false", got, meta.NotModified, "image")
	}
}

func TestHTTPTimeouts(t *testing.T) {
	stop := make(chan struct{})
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-headers":
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		case "/endless":
			w.Header().Set("Content-Type", "image/png")
			for {
				if _, err := w.Write(make([]byte, 512)); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-stop:
					return
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
	})
	defer close(stop)
	f := newLoopbackFetcher(t, func(c *Config) { c.DownloadTimeout = 300 * time.Millisecond })
	for _, p := range []string{"/slow-headers", "/endless"} {
		start := time.Now()
		_, err := f.Fetch(context.Background(), srv.URL+p, nil, 0)
		wantKind(t, err, options.KindDownloadTimeout)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s: took %s; want about the 300ms download timeout", p, d)
		}
	}
	// The request's own deadline and cancellation are not download timeouts.
	f2 := newLoopbackFetcher(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f2.Fetch(ctx, srv.URL+"/endless", nil, 0)
	wantKind(t, err, options.KindTimeout)
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = f2.Fetch(ctx, srv.URL+"/slow-headers", nil, 0)
	wantKind(t, err, options.KindCanceled)
}

// rawOrigin answers every connection with the given raw HTTP response and
// closes it, for malformed answers net/http would not produce.
func rawOrigin(t *testing.T, resp string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				c.Read(buf) // the request
				io.WriteString(c, resp)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/img"
}

func TestHTTPIncomplete(t *testing.T) {
	f := newLoopbackFetcher(t, nil)
	url := rawOrigin(t, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: image/png\r\n\r\n0123456789")
	_, err := f.Fetch(context.Background(), url, nil, 0)
	wantKind(t, err, options.KindIncomplete)

	url = rawOrigin(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123")
	_, err = f.Fetch(context.Background(), url, nil, 0)
	wantKind(t, err, options.KindIncomplete)
}

func TestHTTPSizeLimit(t *testing.T) {
	body := randomBytes(100_000)
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush()
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Write(body)
	})
	f := newLoopbackFetcher(t, nil)
	for _, p := range []string{"/len", "/chunked"} {
		_, err := f.Fetch(context.Background(), srv.URL+p, nil, 50_000)
		wantKind(t, err, options.KindSourceTooBig)
		// The limit is the request's: a larger one or none lets it through.
		for _, limit := range []int64{100_000, 0} {
			src, err := f.Fetch(context.Background(), srv.URL+p, nil, limit)
			if err != nil || len(src.Data) != len(body) {
				t.Fatalf("%s with limit %d: got %d bytes, %v; want %d", p, limit, len(src.Data), err, len(body))
			}
			src.Release()
		}
		_, err = f.Fetch(context.Background(), srv.URL+p, nil, 99_999)
		wantKind(t, err, options.KindSourceTooBig)
	}
}

func TestHTTPContentEncoding(t *testing.T) {
	body := bytes.Repeat([]byte("<svg>hello</svg>\n"), 2000)
	var gz, zl, raw bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(body)
	w.Close()
	z := zlib.NewWriter(&zl)
	z.Write(body)
	z.Close()
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	// A bomb: 200 MB of zeros, ~200 KB compressed.
	var bomb bytes.Buffer
	bw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 200; i++ {
		bw.Write(zeros)
	}
	bw.Close()

	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		var b []byte
		enc := "gzip"
		switch r.URL.Path {
		case "/gzip":
			b = gz.Bytes()
		case "/zlib":
			b, enc = zl.Bytes(), "deflate"
		case "/rawdeflate":
			b, enc = raw.Bytes(), "deflate"
		case "/bomb":
			b = bomb.Bytes()
		case "/corrupt":
			b = append([]byte{0x1f, 0x8b}, "not gzip at all"...)
		case "/br":
			b, enc = []byte("xx"), "br"
		}
		w.Header().Set("Content-Encoding", enc)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	})
	f := newLoopbackFetcher(t, nil)
	for _, p := range []string{"/gzip", "/zlib", "/rawdeflate"} {
		if got := mustFetch(t, f, context.Background(), srv.URL+p, nil, nil); !bytes.Equal(got, body) {
			t.Fatalf("%s: got %d bytes; want the %d decoded bytes", p, len(got), len(body))
		}
	}
	// Without a size limit the ratio guard stops the bomb.
	_, err := f.Fetch(context.Background(), srv.URL+"/bomb", nil, 0)
	wantKind(t, err, options.KindSourceTooBig)
	// With a limit the decoded size counts.
	_, err = f.Fetch(context.Background(), srv.URL+"/gzip", nil, 10_000)
	wantKind(t, err, options.KindSourceTooBig)
	_, err = f.Fetch(context.Background(), srv.URL+"/corrupt", nil, 0)
	wantKind(t, err, options.KindUnreachable)
	_, err = f.Fetch(context.Background(), srv.URL+"/br", nil, 0)
	wantKind(t, err, options.KindUnreachable)
}

func TestHTTPKeepAliveAndHTTP2(t *testing.T) {
	var conns, h2 atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			h2.Add(1)
		}
		w.Write([]byte("ok"))
	}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f := newLoopbackFetcher(t, func(c *Config) { c.IgnoreSSLVerification = true })
	for i := 0; i < 5; i++ {
		if got := mustFetch(t, f, context.Background(), srv.URL, nil, nil); string(got) != "ok" {
			t.Fatalf("got %q; want %q", got, "ok")
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("got %d connections for 5 fetches; want 1 (keep-alive)", n)
	}
	if n := h2.Load(); n != 5 {
		t.Fatalf("got %d HTTP/2 requests; want 5", n)
	}
	// Certificate checks are on by default.
	strict := newLoopbackFetcher(t, nil)
	_, err := strict.Fetch(context.Background(), srv.URL, nil, 0)
	wantKind(t, err, options.KindUnreachable)
}

func TestStreamHTTP(t *testing.T) {
	body := randomBytes(10_000)
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"s1"`)
		w.Header().Set("Content-Type", "image/webp")
		w.Header().Set("Cache-Control", "max-age=9")
		if r.Header.Get("Accept-Encoding") == "gzip" {
			w.Header().Set("Content-Encoding", "gzip") // passed through untouched
		}
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
			w.Write([]byte("nope"))
			return
		}
		http.ServeContent(w, r, "x.webp", time.Unix(1e9, 0), bytes.NewReader(body))
	})
	f := newLoopbackFetcher(t, nil)
	ctx := context.Background()
	var resp options.StreamResponse
	rc, err := f.Stream(ctx, srv.URL+"/img", &options.StreamRequest{Range: "bytes=10-19", AcceptEncoding: "gzip"}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if resp.Status != 206 || !bytes.Equal(got, body[10:20]) || resp.ContentRange != "bytes 10-19/10000" ||
		resp.ContentLength != 10 || resp.ETag != `"s1"` || resp.ContentType != "image/webp" ||
		resp.ContentEncoding != "gzip" || resp.AcceptRanges != "bytes" || resp.CacheControl != "max-age=9" ||
		resp.LastModified != httpTime(time.Unix(1e9, 0)) {
		t.Fatalf("range stream: got %+v body %d bytes", resp, len(got))
	}
	rc, err = f.Stream(ctx, srv.URL+"/img", &options.StreamRequest{IfNoneMatch: `"s1"`}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if resp.Status != 304 {
		t.Fatalf("conditional stream: got status %d; want 304", resp.Status)
	}
	rc, err = f.Stream(ctx, srv.URL+"/missing", nil, &resp)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if resp.Status != 404 || string(got) != "nope" {
		t.Fatalf("404 stream: got %d %q; want 404 %q", resp.Status, got, "nope")
	}
}

type ctxKey struct{}

// TestWrapTransport: the wrapper sees every source request (with the
// caller's context) and the headers it adds reach the origin.
func TestWrapTransport(t *testing.T) {
	var got []string
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("X-Trace"))
		w.Write([]byte("ok"))
	})
	f := newLoopbackFetcher(t, func(c *Config) {
		c.WrapTransport = func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				r = r.Clone(r.Context())
				if v, ok := r.Context().Value(ctxKey{}).(string); ok {
					r.Header.Set("X-Trace", v)
				}
				return next.RoundTrip(r)
			})
		}
	})
	ctx := context.WithValue(context.Background(), ctxKey{}, "trace-1")
	mustFetch(t, f, ctx, srv.URL+"/a.png", nil, nil)
	var resp options.StreamResponse
	rc, err := f.Stream(ctx, srv.URL+"/b.png", nil, &resp)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if len(got) != 2 || got[0] != "trace-1" || got[1] != "trace-1" {
		t.Fatalf("origin got X-Trace %q; want it on the fetch and the stream", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
