package edge

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/workers"
)

// staticOrigin and staticProcessor hand out preallocated bytes so the
// benchmark measures edge (routing, parsing, signature, pool, coalescing,
// headers, body stream), not the stand-ins.
type staticOrigin struct{ data []byte }

func (o *staticOrigin) Fetch(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error) {
	src := options.NewSource(o.data, nil)
	src.Meta.ETag, src.Meta.LastModified = `"v1"`, "Mon, 02 Jan 2023 15:04:05 GMT"
	return src, nil
}

type staticProcessor struct{ data []byte }

func (p *staticProcessor) Process(ctx context.Context, src *options.Source, o *options.Options, neg *options.Negotiation) (options.Output, error) {
	src.Release()
	out := options.NewOutput(p.data, nil)
	out.Meta = options.ResultMeta{Format: options.FormatWebP, Width: o.Width, Height: o.Height}
	return out, nil
}

func newBenchServer(tb testing.TB, coalesce bool) (*Server, string) {
	return newBenchServerWindow(tb, coalesce, 0)
}

// newBenchServerWindow is newBenchServer with a result window (0 = off: the
// benchmarks repeat one URL, which the window would otherwise serve).
func newBenchServerWindow(tb testing.TB, coalesce bool, window time.Duration) (*Server, string) {
	tb.Helper()
	key, salt := []byte("bench-key"), []byte("bench-salt")
	parser, err := options.NewParser(options.ParserConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	ver, err := sign.New(sign.Config{Keys: [][]byte{key}, Salts: [][]byte{salt}, SignatureSize: 32})
	if err != nil {
		tb.Fatal(err)
	}
	pool, err := workers.New(workers.Config{Workers: 2})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pool.Close(context.Background()) })
	cfg := DefaultConfig()
	cfg.Coalesce = coalesce
	cfg.CoalesceWindow = window
	cfg.AutoWebP = true
	s, err := New(cfg, Deps{Parser: parser, Verifier: ver, Pool: pool,
		Fetcher: &staticOrigin{data: make([]byte, 20000)}, Processor: &staticProcessor{data: make([]byte, 8000)},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})), Metrics: workers.Metrics{Set: metrics.NewSet()}})
	if err != nil {
		tb.Fatal(err)
	}
	path := "/rs:fill:300:200/q:80/plain/http://origin.test/photos/cat.jpg"
	return s, "/" + sign.Sign(key, salt, []byte(path), 32) + path
}

// serveOnce runs the full handler and writes the response (headers and the
// zero-copy body stream, which is then closed) to bw.
func serveOnce(tb testing.TB, s *Server, ctx *fasthttp.RequestCtx, bw *bufio.Writer) {
	s.srv.Handler(ctx)
	if err := ctx.Response.Write(bw); err != nil {
		tb.Fatal(err)
	}
	if code := ctx.Response.StatusCode(); code != 200 {
		tb.Fatalf("status %d: %s", code, ctx.Response.Body())
	}
	bw.Reset(io.Discard)
	ctx.Response.Reset()
}

func benchRequest(uri string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI(uri)
	req.Header.Set("Accept", "image/avif,image/webp,*/*")
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1234}, nil)
	return ctx
}

// BenchmarkHealth is the baseline: routing and the common headers only.
func BenchmarkHealth(b *testing.B) {
	s, _ := newBenchServer(b, true)
	ctx := benchRequest("/health")
	bw := bufio.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, s, ctx, bw)
	}
}

// BenchmarkProcessing is the hot path of a processing request: secret,
// split, HMAC verify, parse, negotiation, coalescing group, worker pool,
// fetch+process stand-ins, every response header, zero-copy body.
func BenchmarkProcessing(b *testing.B) {
	s, uri := newBenchServer(b, true)
	ctx := benchRequest(uri)
	bw := bufio.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, s, ctx, bw)
	}
}

// BenchmarkProcessingWindowHit is a request served from the result window
// (a straggler of a miss storm).
func BenchmarkProcessingWindowHit(b *testing.B) {
	s, uri := newBenchServerWindow(b, true, time.Hour)
	ctx := benchRequest(uri)
	bw := bufio.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, s, ctx, bw)
	}
}

// BenchmarkProcessingNoCoalesce is the same without IMGEDGE_COALESCE.
func BenchmarkProcessingNoCoalesce(b *testing.B) {
	s, uri := newBenchServer(b, false)
	ctx := benchRequest(uri)
	bw := bufio.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, s, ctx, bw)
	}
}

// TestHandlerAllocations pins the allocations of a full processing request
// (see BenchmarkProcessing*). Most of them are contexts (request deadline,
// coalescing group), the per-request result shared by coalesced requests,
// the body stream and the parsed source URL.
func TestHandlerAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	f := func(coalesce bool, max float64) {
		t.Helper()
		s, uri := newBenchServer(t, coalesce)
		ctx := benchRequest(uri)
		bw := bufio.NewWriter(io.Discard)
		serveOnce(t, s, ctx, bw) // warm pools
		if got := testing.AllocsPerRun(200, func() { serveOnce(t, s, ctx, bw) }); got > max {
			t.Errorf("coalesce=%v: got %.1f allocs per request; want <= %.0f", coalesce, got, max)
		}
	}
	f(false, 12)
	f(true, 30)
	s, _ := newBenchServer(t, true)
	ctx := benchRequest("/health")
	bw := bufio.NewWriter(io.Discard)
	if got := testing.AllocsPerRun(200, func() { serveOnce(t, s, ctx, bw) }); got != 0 {
		t.Errorf("/health: got %.1f allocs; want 0", got)
	}
}
