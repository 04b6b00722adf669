package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/workers"
)

// testOrigin is an in-memory source store that really serves bytes with
// validators and honours conditional requests like an HTTP origin would.
// Special URL paths produce the fetch errors of docs/http.md "Errors".
type testOrigin struct {
	mu       sync.Mutex
	files    map[string][]byte
	etag     string
	lastMod  string
	cc       string
	fetches  atomic.Int64
	served   atomic.Int64 // successful fetches (each hands out one release)
	released atomic.Int64
	block    chan struct{} // when non-nil, fetches of ".../block*" wait on it
	started  chan struct{} // receives one value per blocked fetch that started
	lastCond options.Conditional
}

func newOrigin() *testOrigin {
	return &testOrigin{
		files: map[string][]byte{
			"http://origin.test/photos/cat.jpg": []byte("JPEGDATA-cat"),
			"http://origin.test/a.png":          []byte("PNGDATA-a"),
			"local:///dog.jpg":                  []byte("JPEGDATA-dog"),
			"http://origin.test/pass.png":       []byte("PASS-png"),
		},
		etag:    `"v1"`,
		lastMod: "Mon, 02 Jan 2023 15:04:05 GMT",
	}
}

// counter counts releases (an options.Releaser).
type counter struct{ n *atomic.Int64 }

func (c counter) Release() { c.n.Add(1) }

func (o *testOrigin) Fetch(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error) {
	o.fetches.Add(1)
	o.mu.Lock()
	o.lastCond = *cond
	o.mu.Unlock()
	switch {
	case strings.Contains(url, "/status404"):
		return options.Source{}, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404, Msg: "origin said 404"}
	case strings.Contains(url, "/status403"):
		return options.Source{}, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 403, Msg: "origin said 403"}
	case strings.Contains(url, "/status503"):
		return options.Source{}, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 503, Msg: "origin said 503"}
	case strings.Contains(url, "/status204"):
		return options.Source{}, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 204, Msg: "origin said 204"}
	case strings.Contains(url, "/unreachable"):
		return options.Source{}, options.Errorf(options.KindUnreachable, "dial tcp: connection refused")
	case strings.Contains(url, "/dltimeout"):
		return options.Source{}, options.Errorf(options.KindDownloadTimeout, "download timed out")
	case strings.Contains(url, "/toobig"):
		return options.Source{}, options.Errorf(options.KindSourceTooBig, "source is 10 MB > 1 MB")
	case strings.Contains(url, "/notallowed"):
		return options.Source{}, options.Errorf(options.KindSourceNotAllowed, "loopback address refused")
	case strings.Contains(url, "/incomplete"):
		return options.Source{}, options.Errorf(options.KindIncomplete, "short body")
	case strings.Contains(url, "/block"):
		if o.started != nil {
			o.started <- struct{}{}
		}
		select {
		case <-o.block:
		case <-ctx.Done():
			return options.Source{}, options.Wrap(options.KindOf(ctx.Err()), "fetch", ctx.Err())
		}
		return o.serve([]byte("JPEGDATA-block"), cond)
	}
	o.mu.Lock()
	data, ok := o.files[url]
	o.mu.Unlock()
	if !ok {
		if strings.Contains(url, "/broken") || strings.Contains(url, "/panic") || strings.Contains(url, "/slow") {
			data = []byte("JPEGDATA-x")
		} else {
			return options.Source{}, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404, Msg: "no such file"}
		}
	}
	return o.serve(data, cond)
}

func (o *testOrigin) serve(data []byte, cond *options.Conditional) (options.Source, error) {
	o.served.Add(1)
	var src options.Source
	if cond.IfNoneMatch != "" && cond.IfNoneMatch == o.etag {
		src = options.NewSource(nil, counter{&o.released})
		src.Meta.NotModified = true
	} else {
		src = options.NewSource(append([]byte(nil), data...), counter{&o.released})
	}
	src.Meta.ETag, src.Meta.LastModified, src.Meta.CacheControl = o.etag, o.lastMod, o.cc
	src.Meta.ContentType = "image/jpeg"
	return src, nil
}

// testProcessor "processes" by writing a small deterministic image
// description followed by the source bytes, into a fresh buffer, and counts
// its releases so tests can check nothing leaks. A source starting with
// "PASS" is returned as it is (like skip_processing): the Output keeps it.
type testProcessor struct {
	calls    atomic.Int64
	produced atomic.Int64 // successful results (each hands out one release)
	released atomic.Int64
	delay    time.Duration
}

func (p *testProcessor) Process(ctx context.Context, source *options.Source, o *options.Options, neg *options.Negotiation) (options.Output, error) {
	defer source.Release()
	p.calls.Add(1)
	src := source.Data
	if p.delay > 0 {
		time.Sleep(p.delay)
	}
	if bytes.Contains(src, []byte("-x")) && bytes.HasPrefix(src, []byte("JPEGDATA")) && o.Width == 13 {
		return options.Output{}, options.Errorf(options.KindBrokenImage, "vips: bad huffman code")
	}
	if o.Width == 66 {
		panic("processor exploded")
	}
	f := o.Format
	if f == options.FormatUnknown {
		switch {
		case neg.Enforce.Has(options.FormatAVIF) || neg.Auto.Has(options.FormatAVIF):
			f = options.FormatAVIF
		case neg.Enforce.Has(options.FormatWebP) || neg.Auto.Has(options.FormatWebP):
			f = options.FormatWebP
		case bytes.HasPrefix(src, []byte("PNG")):
			f = options.FormatPNG
		default:
			f = options.FormatJPEG
		}
	}
	res := options.ResultMeta{Format: f, Width: o.Width, Height: o.Height, SrcFormat: options.FormatJPEG, SrcWidth: 640, SrcHeight: 480}
	if bytes.HasPrefix(src, []byte("PASS")) {
		res.Format, res.Passthrough = options.FormatPNG, true
		out := options.NewOutput(src, nil)
		out.Meta = res
		out.KeepSource(source)
		return out, nil
	}
	data := fmt.Appendf(nil, "%s:%dx%d:", f, o.Width, o.Height)
	data = append(data, src...)
	p.produced.Add(1)
	out := options.NewOutput(data, counter{&p.released})
	out.Meta = res
	return out, nil
}

type testEnv struct {
	t      *testing.T
	srv    *Server
	url    string
	origin *testOrigin
	proc   *testProcessor
	set    *metrics.Set
	logs   *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envOpts struct {
	workers, queue int
	keys, salts    [][]byte
	parser         options.ParserConfig
	logLevel       slog.Level
	health         func() error
	namespace      string // IMGPROXY_PROMETHEUS_NAMESPACE of the shared metrics
	tracer         Tracer
	reporter       ErrorReporter
	// wrapFetcher, when set, wraps the test origin (env.origin stays the
	// origin itself).
	wrapFetcher func(*testOrigin) Fetcher
}

// startEnv runs a real Server on 127.0.0.1:0 with the real parser, signature
// verifier and worker pool, and the in-test origin and processor.
func startEnv(t *testing.T, cfg Config, eo envOpts) *testEnv {
	t.Helper()
	if eo.workers == 0 {
		eo.workers = 2
	}
	parser, err := options.NewParser(eo.parser)
	if err != nil {
		t.Fatalf("NewParser: %v", err)
	}
	ver, err := sign.New(sign.Config{Keys: eo.keys, Salts: eo.salts, SignatureSize: 32})
	if err != nil {
		t.Fatalf("sign.New: %v", err)
	}
	env := &testEnv{t: t, origin: newOrigin(), proc: &testProcessor{}, set: metrics.NewSet(), logs: &syncBuffer{}, done: make(chan error, 1)}
	reg := workers.Metrics{Set: env.set, Namespace: eo.namespace}
	pool, err := workers.New(workers.Config{Workers: eo.workers, QueueSize: eo.queue, DisableEarlyReject: true, Metrics: reg})
	if err != nil {
		t.Fatalf("workers.New: %v", err)
	}
	logger := slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: eo.logLevel}))
	var fetcher Fetcher = env.origin
	if eo.wrapFetcher != nil {
		fetcher = eo.wrapFetcher(env.origin)
	}
	srv, err := New(cfg, Deps{Parser: parser, Verifier: ver, Pool: pool, Fetcher: fetcher, Processor: env.proc,
		Health: eo.health, Logger: logger, Metrics: reg, Tracer: eo.tracer, Reporter: eo.reporter})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.srv = srv
	env.url = "http://" + ln.Addr().String()
	go func() { env.done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		pool.Close(ctx)
	})
	return env
}

func testConfig() Config {
	c := DefaultConfig()
	c.MaxClients = 100
	c.DrainDelay = 0 // tests shut servers down often
	return c
}

type resp struct {
	status int
	h      http.Header
	body   string
}

var testClient = &http.Client{Timeout: 10 * time.Second}

func (e *testEnv) do(method, path string, hdr ...string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// Keep the raw path exactly as written (no re-encoding by net/url).
	req.URL.Opaque = path
	if i := strings.IndexByte(path, '?'); i >= 0 {
		req.URL.Opaque = path[:i]
		req.URL.RawQuery = path[i+1:]
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := testClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp{status: r.StatusCode, h: r.Header, body: string(b)}
}

func (e *testEnv) get(path string, hdr ...string) resp { return e.do("GET", path, hdr...) }

// waitReleased waits until every produced buffer was released (the body
// stream is closed just after the response is written, asynchronously to
// the client reading it).
func (e *testEnv) waitReleased() {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if e.origin.released.Load() == e.origin.served.Load() && e.proc.released.Load() == e.proc.produced.Load() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("leak: origin served %d (released %d), processor produced %d (released %d)",
		e.origin.served.Load(), e.origin.released.Load(), e.proc.produced.Load(), e.proc.released.Load())
}

func (e *testEnv) metrics() string {
	var b bytes.Buffer
	e.srv.WriteMetrics(&b)
	return b.String()
}

func wantHeader(t *testing.T, r resp, name, want string) {
	t.Helper()
	if got := r.h.Get(name); got != want {
		t.Errorf("%s: got %q; want %q", name, got, want)
	}
}

var errSentinel = errors.New("sentinel")

// testStreamer serves raw requests from memory, honouring Range bytes=0-3.
type testStreamer struct {
	gotRange string
	closed   atomic.Bool
}

type closeFlag struct {
	io.Reader
	f *atomic.Bool
}

func (c closeFlag) Close() error { c.f.Store(true); return nil }

func (s *testStreamer) Stream(ctx context.Context, url string, req *options.StreamRequest, resp *options.StreamResponse) (io.ReadCloser, error) {
	s.gotRange = req.Range
	*resp = options.StreamResponse{Status: 206, ContentLength: 4, ContentType: "image/jpeg", ContentRange: "bytes 0-3/10", AcceptRanges: "bytes"}
	return closeFlag{strings.NewReader("RAW!"), &s.closed}, nil
}
