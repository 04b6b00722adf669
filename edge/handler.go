package edge

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/options/refcount"
	"github.com/imgedge/imgedge/workers"
)

// reqState is the per-request scratch space, pooled (Acquire/Release pair).
// Nothing in it may be referenced after the handler returns: work that can
// outlive the handler (a coalesced job) copies what it needs into a result.
type reqState struct {
	start     time.Time
	id        []byte
	buf       []byte // header value scratch
	path      []byte // signed path (aliases the request URI; valid during the handler)
	req       options.Request
	neg       options.Negotiation
	cond      options.Conditional
	key       []byte
	status    int
	bytes     int
	err       error
	kind      options.ErrorKind
	res       *result
	fallback  bool
	shared    bool
	streaming bool // raw mode: errors count as type "streaming"
	errType   errType

	// Set only when the integrations are on (docs/monitoring.md): the
	// trace's context and the end of the request span, and the client's
	// cookies for IMGPROXY_COOKIE_PASSTHROUGH (a new value per request).
	tctx     context.Context
	endTrace func(status int, errType string, err error)
	cookies  *options.ClientCookies

	queue, download, processing time.Duration // of the job that produced the result
}

var statePool = sync.Pool{New: func() any { return &reqState{id: make([]byte, 0, 32), buf: make([]byte, 0, 256)} }}

func acquireState() *reqState { return statePool.Get().(*reqState) }

func releaseState(st *reqState) {
	*st = reqState{id: st.id[:0], buf: st.buf[:0], key: st.key[:0]}
	statePool.Put(st)
}

// setCommon sets the headers every response carries (docs/http.md "Routes").
// The Server header comes from fasthttp.Server.Name.
func (s *Server) setCommon(ctx *fasthttp.RequestCtx, st *reqState) {
	st.id = appendRequestID(st.id[:0], ctx.Request.Header.Peek("X-Request-ID"))
	h := &ctx.Response.Header
	h.SetBytesV("X-Request-ID", st.id)
	h.Set("Content-Security-Policy", cspValue)
	h.Set("X-Content-Type-Options", "nosniff")
}

func (s *Server) setCORS(ctx *fasthttp.RequestCtx) {
	if s.cfg.AllowOrigin != "" {
		ctx.Response.Header.Set("Access-Control-Allow-Origin", s.cfg.AllowOrigin)
		ctx.Response.Header.Set("Access-Control-Allow-Methods", corsMethod)
	}
}

// textBody answers status with a text/plain body.
func textBody(ctx *fasthttp.RequestCtx, status int, body string) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentType("text/plain")
	ctx.SetBodyString(body)
}

func (s *Server) handleHealth(ctx *fasthttp.RequestCtx) {
	st := acquireState()
	defer releaseState(st)
	s.setCommon(ctx, st)
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	switch {
	case s.draining.Load():
		textBody(ctx, 503, "Draining")
	case s.deps.Health != nil && s.deps.Health() != nil:
		textBody(ctx, 500, "Error")
	default:
		textBody(ctx, 200, "imgproxy is running")
	}
}

// clientWatchInterval is how often a running request checks whether its client
// is still connected (see watchClient).
const clientWatchInterval = 100 * time.Millisecond

const landingPage = `<!doctype html><html><head><meta charset="utf-8"><title>imgedge</title></head>` +
	`<body><h1>imgedge</h1><p>A fast, secure image server compatible with imgproxy URLs.</p></body></html>`

func (s *Server) handleLanding(ctx *fasthttp.RequestCtx) {
	st := acquireState()
	defer releaseState(st)
	st.start = time.Now()
	s.setCommon(ctx, st)
	s.setDefaultCacheControl(ctx, st)
	ctx.SetStatusCode(200)
	ctx.Response.Header.SetContentType("text/html")
	ctx.SetBodyString(landingPage)
	s.logOther(ctx, st)
}

// handleNotFound answers favicon, /.well-known, unknown methods and paths
// outside the prefix: 404 with a one-space body.
func (s *Server) handleNotFound(ctx *fasthttp.RequestCtx) {
	st := acquireState()
	defer releaseState(st)
	st.start = time.Now()
	s.setCommon(ctx, st)
	textBody(ctx, 404, " ")
	s.logOther(ctx, st)
}

// handleHeadOptions answers HEAD and OPTIONS: 200, one space, CORS and the
// default Cache-Control; no fetch or processing (docs/http.md "Routes").
func (s *Server) handleHeadOptions(ctx *fasthttp.RequestCtx) {
	st := acquireState()
	defer releaseState(st)
	st.start = time.Now()
	s.setCommon(ctx, st)
	s.setCORS(ctx)
	s.setDefaultCacheControl(ctx, st)
	textBody(ctx, 200, " ")
	s.logOther(ctx, st)
}

// setDefaultCacheControl sets the Cache-Control of a 200 answer that has no
// source: imgproxy's rule without expires or origin headers, i.e.
// "max-age=<IMGPROXY_TTL>, public", or "no-cache" when the TTL is 0
// (docs/cdn.md).
func (s *Server) setDefaultCacheControl(ctx *fasthttp.RequestCtx, st *reqState) {
	cc := s.appendCacheControl(st.buf[:0], 200, &noOptions, &noSourceMeta, false, time.Now())
	ctx.Response.Header.SetBytesV("Cache-Control", cc)
}

// Zero values for answers without a processing request; never written.
var (
	noOptions    options.Options
	noSourceMeta options.SourceMeta
)

// handlePanic is the router's last resort (the processing handler recovers
// its own panics to log and count them).
func (s *Server) handlePanic(ctx *fasthttp.RequestCtx, v any) {
	s.log.Error("panic in handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	ctx.Response.Reset()
	textBody(ctx, 500, "Internal error")
}

// beginCounted opens a processing or /info request: counted for the
// graceful stop and in requests_total and requests_in_progress, with the
// common and CORS headers set. The caller defers endCounted(st).
func (s *Server) beginCounted(ctx *fasthttp.RequestCtx) *reqState {
	s.served.Add(1)
	st := acquireState()
	st.start = time.Now()
	s.m.requests.Inc()
	s.m.inProgress.Add(1)
	s.setCommon(ctx, st)
	s.setCORS(ctx)
	return st
}

// endCounted closes what beginCounted opened.
func (s *Server) endCounted(st *reqState) {
	s.m.inProgress.Add(-1)
	releaseState(st)
	s.served.Done()
}

// handleProcessing is GET /*: secret → CORS → signature → parse → (raw
// stream | fetch+process on the pool) → response.
func (s *Server) handleProcessing(ctx *fasthttp.RequestCtx) {
	st := s.beginCounted(ctx)
	defer s.endCounted(st)
	if s.draining.Load() {
		ctx.SetConnectionClose()
	}
	if s.deps.Tracer != nil {
		s.startTrace(ctx, st)
	}

	defer func() {
		if v := recover(); v != nil {
			st.err = &options.Error{Kind: options.KindUnexpected, Msg: fmt.Sprintf("panic: %v\n%s", v, debug.Stack())}
			if st.res != nil { // not handed to the body yet
				st.res.Release()
				st.res = nil
			}
			ctx.Response.ResetBody()
			s.writeError(ctx, st, st.err)
		}
		s.finish(ctx, st)
	}()

	if err := s.process(ctx, st); err != nil {
		st.err = err
		s.writeError(ctx, st, err)
	}
}

// process runs the pipeline; a returned error becomes the error response.
func (s *Server) process(ctx *fasthttp.RequestCtx, st *reqState) error {
	if s.authHeader != nil {
		got := ctx.Request.Header.Peek("Authorization")
		if subtle.ConstantTimeCompare(got, s.authHeader) != 1 {
			return &options.Error{Kind: options.KindForbidden, Msg: "invalid or missing Authorization header for IMGPROXY_SECRET"}
		}
	}
	sig, path, err := s.deps.Parser.Split(ctx.RequestURI())
	if err != nil {
		return err
	}
	st.path = path
	if err := s.deps.Verifier.Verify(sig, path); err != nil {
		return err
	}
	hints := options.Hints{Now: st.start}
	if s.clientHints {
		clientHints(&ctx.Request.Header, &hints)
	}
	if err := s.deps.Parser.Parse(path, hints, &st.req); err != nil {
		return err
	}
	s.annotateSource(st)
	if s.cookies {
		st.cookies = clientCookies(&ctx.Request.Header)
	}
	opts := &st.req.Options
	if opts.Raw && s.deps.Streamer != nil {
		return s.stream(ctx, st)
	}
	s.negotiate(ctx.Request.Header.Peek("Accept"), &st.neg)
	s.conditional(&ctx.Request.Header, &st.cond)

	deadline := st.start.Add(s.cfg.RequestTimeout)
	rctx, cancel := context.WithDeadline(st.requestContext(), deadline)
	defer cancel()
	if st.cookies != nil {
		rctx = options.WithClientCookies(rctx, st.cookies)
	}
	// A client that leaves cancels its queued or running work (499).
	defer watchClient(ctx.Conn(), cancel, clientWatchInterval)()

	var r *result
	if s.cfg.Coalesce && !opts.BypassCache { // bypass_cache does not join another request's work
		st.key = appendKey(st.key[:0], st)
		// The job may outlive this handler (when it leaves on timeout while
		// others still wait), so it gets copies, not st.
		job := newResult(&st.req, &st.neg, &st.cond)
		v, shared, err := s.group.Do(rctx, string(st.key), func(fctx context.Context) (workers.Shared, error) {
			jctx, cancel := context.WithDeadline(fctx, deadline)
			defer cancel()
			s.runJob(jctx, job)
			if job.err != nil {
				return nil, job.err
			}
			return job, nil
		})
		st.shared = shared
		if err != nil {
			return err
		}
		r = v.(*result)
	} else {
		r = newResult(&st.req, &st.neg, &st.cond)
		s.runJob(rctx, r)
		if r.err != nil {
			st.queue, st.download, st.processing = r.queue, r.download, r.processing
			return r.err
		}
	}
	st.res = r
	st.queue, st.download, st.processing = r.queue, r.download, r.processing
	s.writeResult(ctx, st)
	return nil
}

// result is one fetch+process outcome, shared by coalesced requests. It
// owns the Output (bytes in C memory, or the source bytes, which the Output
// then keeps) until the last reference is released: each response body
// holds one reference (see body). The owner chain of a request is
// Fetcher → Source → Processor → Output → result → body.
type result struct {
	refcount.Count

	url  string
	opts options.Options
	neg  options.Negotiation
	cond options.Conditional

	out      options.Output
	meta     options.SourceMeta
	srcLen   int
	fallback bool
	fetchErr error // the fetch error a fallback replaced
	err      error

	// Between the stages (stages.go): the downloaded source, its passage
	// through the download stage, and whether a download and a processing
	// happened.
	src                         options.Source
	ticket                      workers.Ticket
	downloaded, ran             bool
	keepTTL                     time.Duration // how long the result may serve stragglers (window.go)
	queue, download, processing time.Duration
}

func newResult(req *options.Request, neg *options.Negotiation, cond *options.Conditional) *result {
	return &result{url: req.SourceURL, opts: req.Options, neg: *neg, cond: *cond}
}

// appendKey builds the coalescing key: everything the result depends on —
// source URL, every field of the options (options.Options.AppendKey), the
// negotiation and the forwarded validators. Strings are length-prefixed.
func appendKey(dst []byte, st *reqState) []byte {
	dst = appendKeyString(dst, st.req.SourceURL)
	dst = st.req.Options.AppendKey(dst)
	dst = binary.AppendUvarint(dst, uint64(st.neg.Auto))
	dst = binary.AppendUvarint(dst, uint64(st.neg.Enforce))
	dst = appendKeyString(dst, st.cond.IfNoneMatch)
	dst = appendKeyString(dst, st.cond.IfModifiedSince)
	if st.cookies != nil {
		dst = appendCookiesKey(dst, st.cookies)
	}
	return dst
}

func appendKeyString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// writeResult writes a success, a 304 or a fallback response for st.res.
// The body reference of st.res passes to the response body stream.
func (s *Server) writeResult(ctx *fasthttp.RequestCtx, st *reqState) {
	r := st.res
	h := &ctx.Response.Header
	opts := &st.req.Options
	status := 200
	if r.fallback {
		st.fallback = true
		s.m.fallbacks.Inc()
		s.m.errors[errTypeDownload].Inc()
		status = s.cfg.FallbackImageHTTPCode
		if status == 0 {
			_, status, _ = classify(r.fetchErr)
		}
		h.Set(fallbackHeader, "1")
	}
	if r.meta.NotModified {
		status = fasthttp.StatusNotModified
		s.m.notModified.Inc()
	}
	st.status = status
	ctx.SetStatusCode(status)
	if s.vary != "" {
		h.Set("Vary", s.vary)
	}
	s.setCacheTags(h, opts.CacheTags)
	if cc := s.appendCacheControl(st.buf[:0], status, opts, &r.meta, r.fallback, time.Now()); len(cc) > 0 {
		h.SetBytesV("Cache-Control", cc)
	}
	if !r.fallback {
		if s.cfg.UseETag && r.meta.ETag != "" {
			if s.cfg.ETagBuster == "" {
				h.Set("ETag", r.meta.ETag)
			} else {
				h.SetBytesV("ETag", appendBustedETag(st.buf[:0], s.cfg.ETagBuster, r.meta.ETag))
			}
		}
		if s.cfg.UseLastModified && r.meta.LastModified != "" {
			h.Set("Last-Modified", s.lastModified(r.meta.LastModified))
		}
	}
	s.setServerTiming(ctx, st)
	if status == fasthttp.StatusNotModified {
		st.res = nil
		r.Release()
		return
	}

	f := r.out.Meta.Format
	h.SetContentType(f.MIME())
	h.SetBytesV("Content-Disposition", appendDisposition(st.buf[:0], opts, st.req.SourceURL, f))
	if s.cfg.SetCanonicalHeader && isHTTPURL(st.req.SourceURL) && headerSafe(st.req.SourceURL) {
		h.Set("Link", "<"+st.req.SourceURL+`>; rel="canonical"`)
	}
	if s.cfg.EnableDebugHeaders {
		h.SetBytesV("X-Origin-Content-Length", appendInt(st.buf[:0], r.srcLen))
		h.SetBytesV("X-Origin-Width", appendInt(st.buf[:0], r.out.Meta.SrcWidth))
		h.SetBytesV("X-Origin-Height", appendInt(st.buf[:0], r.out.Meta.SrcHeight))
		h.SetBytesV("X-Result-Width", appendInt(st.buf[:0], r.out.Meta.Width))
		h.SetBytesV("X-Result-Height", appendInt(st.buf[:0], r.out.Meta.Height))
	}
	st.bytes = len(r.out.Data)
	st.res = nil
	ctx.SetBodyStream(acquireBody(r), len(r.out.Data))
}

func (s *Server) setServerTiming(ctx *fasthttp.RequestCtx, st *reqState) {
	ctx.Response.Header.SetBytesV("Server-Timing", appendServerTiming(st.buf[:0], st.queue, st.download, st.processing, time.Since(st.start)))
}

// writeError answers err through the error table (docs/http.md "Errors"):
// short text body, no Cache-Control, Retry-After on 429/503.
func (s *Server) writeError(ctx *fasthttp.RequestCtx, st *reqState, err error) {
	kind, status, info := classify(err)
	st.kind, st.status = kind, status
	typ := info.typ
	if st.streaming {
		typ = errTypeStreaming
	}
	st.errType = typ
	s.m.errors[typ].Inc()
	if st.res == nil && ctx.Response.IsBodyStream() {
		ctx.Response.ResetBody()
	}
	h := &ctx.Response.Header
	h.Del("Cache-Control")
	h.Del("Vary")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Del("Content-Disposition")
	h.Del(cloudflareTagHeader)
	h.Del(cloudfrontTagHeader)
	if status == 429 || status == 503 {
		h.Set("Retry-After", "1")
	}
	ctx.SetStatusCode(status)
	s.setServerTiming(ctx, st)
	if !s.cfg.DevelopmentErrorsMode {
		h.SetContentType("text/plain")
		ctx.SetBodyString(info.msg)
		st.bytes = len(info.msg)
		return
	}
	asHTML := wantsHTML(ctx.Request.Header.Peek("Accept"))
	if asHTML {
		h.SetContentType("text/html; charset=utf-8")
	} else {
		h.SetContentType("text/plain; charset=utf-8")
	}
	body := devBody(nil, status, kind, info.msg, err, asHTML)
	ctx.SetBody(body)
	st.bytes = len(body)
}

// finish records metrics and the log line of a processing request.
func (s *Server) finish(ctx *fasthttp.RequestCtx, st *reqState) {
	total := time.Since(st.start)
	if st.status == 0 {
		st.status = ctx.Response.StatusCode()
	}
	s.m.countStatus(st.status)
	observe(s.m.requestDuration, total)
	s.logRequest(ctx, st, total)
	s.endTrace(st)
	if s.deps.Reporter != nil {
		s.reportError(ctx, st)
	}
}

// levelFor: 5xx error, 4xx warn, else info.
func levelFor(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
