// Package edge is imgedge's HTTP front end: a fasthttp server that routes
// requests (docs/http.md), checks the secret and the signature, parses
// the processing URL, runs fetch+process on the worker pool (coalescing
// identical requests), and writes CDN-correct responses, errors, logs and
// metrics. It is pure Go: fetch and vips are reached through the Fetcher,
// Processor and Streamer interfaces declared here.
package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/workers"
)

// Fetcher loads a source image (implemented by *fetch.Fetcher). On success
// the caller owns the returned Source and releases it exactly once, or
// hands it to the Processor. src.Meta.NotModified means the source answered
// cond with "not modified" and src.Data is empty. maxSize is the request's
// source size limit (options.Limits.MaxSrcFileSize; 0 = the fetcher's
// default). Errors are *options.Error.
type Fetcher interface {
	Fetch(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error)
}

// Processor turns a source into the result (implemented by
// *vips.Processor). It takes over src in every case: it releases it, or
// hands it to the Output when the result is the source itself. On success
// the caller owns the Output and releases it exactly once, which also
// releases the source the Output keeps. Errors are *options.Error.
type Processor interface {
	Process(ctx context.Context, src *options.Source, opts *options.Options, neg *options.Negotiation) (options.Output, error)
}

// Streamer serves the `raw` option (docs/http.md "raw"; implemented by
// *fetch.Fetcher). It forwards req to the origin and returns the origin's
// status/headers in resp and its body, which the caller closes. A non-2xx
// origin status is NOT an error: it is passed through.
type Streamer interface {
	Stream(ctx context.Context, url string, req *options.StreamRequest, resp *options.StreamResponse) (body io.ReadCloser, err error)
}

// Deps are the parts edge uses but does not own. Parser, Verifier, Pool,
// Fetcher and Processor are required; the rest are optional.
type Deps struct {
	Parser    *options.Parser
	Verifier  *sign.Verifier
	Pool      *workers.Pool
	Fetcher   Fetcher
	Processor Processor
	// Streamer serves `raw` requests; nil → raw requests are fetched and
	// processed like others.
	Streamer Streamer
	// Info answers /info requests (edge/info.go); nil → /info URLs are
	// processing URLs like any other (and fail as such).
	Info InfoProcessor
	// Health is the libvips self-check for /health (nil = always healthy).
	Health func() error
	// Logger receives one line per request; nil = slog.Default().
	Logger *slog.Logger
	// Metrics receives the HTTP metrics edge owns and the coalescing
	// counter (docs/metrics.md), named with Metrics.Name; the pool
	// registers its own gauges there. A nil Metrics.Set = a private set.
	Metrics workers.Metrics
	// VipsMemStats feeds vips_memory_bytes, vips_max_memory_bytes and
	// vips_allocs (vips.MemStats); nil = those gauges are absent.
	VipsMemStats func() (mem, highwater, allocs int64)
	// Tracer receives a span per processing request and its stages; nil =
	// no tracing, and no call on the request path.
	Tracer Tracer
	// Reporter receives internal errors and panics (see
	// Config.ReportDownloadingErrors); nil = none.
	Reporter ErrorReporter
}

// cookieForwarder is implemented by a Fetcher that forwards the client's
// cookies to sources (*fetch.Fetcher with IMGPROXY_COOKIE_PASSTHROUGH):
// edge then hands them over with each request and keys coalescing on them.
type cookieForwarder interface {
	ForwardsCookies() bool
}

// Server is the HTTP front end. Create it with New, run it with Serve and
// stop it with Shutdown. Its methods are safe for concurrent use.
type Server struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	m    *serverMetrics
	srv  *fasthttp.Server

	prefix      []byte // the parser's path prefix (IMGPROXY_PATH_PREFIX)
	clientHints bool   // the parser's IMGPROXY_ENABLE_CLIENT_HINTS
	vary        string // precomputed Vary value, "" = none
	negAuto     options.FormatSet
	negEnforce  options.FormatSet
	preferred   []options.Format
	authHeader  []byte // "Bearer <secret>"
	cookies     bool   // the fetcher forwards client cookies
	lmBuster    string // LastModifiedBuster in HTTP date format

	group    *workers.Group
	draining atomic.Bool

	marks, fallbacks *auxCache      // watermark_url and fallback_image_url images (prosources.go)
	served           sync.WaitGroup // processing requests in flight (for Shutdown)
}

// New validates cfg, checks deps and builds the router.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.Parser == nil:
		return nil, errors.New("edge: Deps.Parser is nil")
	case deps.Verifier == nil:
		return nil, errors.New("edge: Deps.Verifier is nil")
	case deps.Pool == nil:
		return nil, errors.New("edge: Deps.Pool is nil")
	case deps.Fetcher == nil:
		return nil, errors.New("edge: Deps.Fetcher is nil")
	case deps.Processor == nil:
		return nil, errors.New("edge: Deps.Processor is nil")
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "imgproxy"
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger}
	if cf, ok := deps.Fetcher.(cookieForwarder); ok {
		s.cookies = cf.ForwardsCookies()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	reg := deps.Metrics
	if reg.Set == nil {
		reg.Set = metrics.NewSet()
	}
	if err := reg.Validate(); err != nil {
		return nil, err
	}
	// HELP/TYPE lines make the exposition acceptable to promtool and match
	// what Prometheus' own client writes. It is a process-wide switch.
	metrics.ExposeMetadata(true)
	s.m = newServerMetrics(reg, &deps)
	s.group = workers.NewGroup(workers.GroupConfig{Metrics: reg})
	s.marks, s.fallbacks = newAuxCache(cfg.WatermarksCacheSize), newAuxCache(cfg.FallbackImagesCacheSize)

	s.prefix = []byte(deps.Parser.PathPrefix())
	s.clientHints = deps.Parser.ClientHints()
	s.initNegotiation()
	if cfg.Secret != "" {
		s.authHeader = []byte("Bearer " + cfg.Secret)
	}
	if !cfg.LastModifiedBuster.IsZero() {
		s.lmBuster = cfg.LastModifiedBuster.UTC().Format(httpDate)
	}

	s.srv = s.newHTTPServer(s.routes().Handler)
	return s, nil
}

// routes builds the router: the fixed routes below the path prefix, and
// the dispatcher for everything else (docs/http.md "Routes").
func (s *Server) routes() *router.Router {
	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = false
	r.HandleOPTIONS = false
	r.NotFound = s.dispatch
	r.PanicHandler = s.handlePanic
	p := string(s.prefix)
	r.GET(p+"/health", s.handleHealth)
	if s.cfg.HealthCheckPath != "" && s.cfg.HealthCheckPath != "/health" {
		r.GET(p+s.cfg.HealthCheckPath, s.handleHealth)
	}
	if p != "" {
		r.GET(p, s.handleLanding)
	}
	r.GET(p+"/", s.handleLanding)
	r.GET(p+"/favicon.ico", s.handleNotFound)
	r.GET(p+"/.well-known/{rest:*}", s.handleNotFound)
	// Everything else below the prefix goes through r.NotFound → s.dispatch:
	// a "/{path:*}" catch-all would copy the path into a user value on
	// every request (2 allocations) and routes on the normalised path,
	// while processing must see the raw request URI.
	return r
}

// newHTTPServer configures fasthttp from the Config.
func (s *Server) newHTTPServer(handler fasthttp.RequestHandler) *fasthttp.Server {
	cfg := &s.cfg
	srv := &fasthttp.Server{
		Handler:                       s.serve(handler),
		ErrorHandler:                  s.handleReadError,
		Name:                          cfg.ServerName,
		ReadTimeout:                   cfg.ReadRequestTimeout,
		WriteTimeout:                  cfg.WriteResponseTimeout,
		IdleTimeout:                   cfg.KeepAliveTimeout,
		DisableKeepalive:              cfg.KeepAliveTimeout == 0,
		Concurrency:                   cfg.MaxClients,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: false,
		CloseOnShutdown:               true,
		// GET requests carry no body; keep the limit small.
		MaxRequestBodySize: 64 << 10,
		ReadBufferSize:     16 << 10,
		Logger:             fasthttpLogger{s.log},
	}
	if cfg.KeepAliveTimeout == 0 {
		srv.IdleTimeout = cfg.ReadRequestTimeout
	}
	if cfg.MaxClients == 0 {
		srv.Concurrency = 1 << 30
	}
	return srv
}

// Serve accepts connections on ln until Shutdown. It returns nil after a
// Shutdown, else the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	return s.srv.Serve(lineListener{ln})
}

// Shutdown drains the server: /health turns 503 at once, after
// Config.DrainDelay the listener closes, responses carry "Connection: close", and in-flight requests
// finish. It returns when all connections are closed or ctx ends (then with
// ctx's error; the caller bounds ctx by IMGPROXY_GRACEFUL_STOP_TIMEOUT).
// Processing requests are never cancelled by Shutdown itself: their own
// deadline (IMGPROXY_TIMEOUT) bounds them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	if s.cfg.DrainDelay > 0 {
		t := time.NewTimer(s.cfg.DrainDelay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	err := s.srv.ShutdownWithContext(ctx)
	// fasthttp counts connections; also wait for handlers that outlived
	// their connection bookkeeping.
	done := make(chan struct{})
	go func() { s.served.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// Draining reports whether Shutdown has started.
func (s *Server) Draining() bool { return s.draining.Load() }

// dispatch handles what the fixed routes do not: GET below the prefix is
// processing, HEAD and OPTIONS answer 200, anything else is 404.
func (s *Server) dispatch(ctx *fasthttp.RequestCtx) {
	s.dispatchPath(ctx, ctx.Path())
}

// dispatchPath is dispatch for the given path.
func (s *Server) dispatchPath(ctx *fasthttp.RequestCtx, path []byte) {
	if !bytes.HasPrefix(path, s.prefix) {
		s.handleNotFound(ctx)
		return
	}
	switch {
	case ctx.IsGet() && s.isInfoPath(path):
		s.handleInfo(ctx)
	case ctx.IsGet():
		s.handleProcessing(ctx)
	case ctx.IsHead(), ctx.IsOptions():
		s.handleHeadOptions(ctx)
	default:
		s.handleNotFound(ctx)
	}
}

type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	if f.l.Enabled(context.Background(), slog.LevelDebug) {
		f.l.Debug("fasthttp", "msg", sprintf(format, args...))
	}
}

// RequestsInProgress is the number of processing requests being served now
// (the requests_in_progress gauge), for the integrations' periodic gauges.
func (s *Server) RequestsInProgress() int64 { return s.m.inProgress.Load() }
