package edge

import (
	"context"
	"net/http"
	"strings"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/imgedge/imgedge/options"
)

// Tracer is a tracing backend for processing requests (OpenTelemetry,
// Datadog, New Relic; main joins the enabled ones, docs/monitoring.md). The
// signatures use standard types only, so monitoring's implementations
// satisfy it without edge importing them. Implementations are safe for
// concurrent use.
type Tracer interface {
	// StartRequest starts the request span; header reads the incoming
	// headers (trace context) and is called only before it returns. The
	// returned func ends the span with the status and, for a failed
	// request, the errors_total type and the error; exactly once.
	StartRequest(ctx context.Context, method, uri string, header func(name string) string) (context.Context, func(status int, errType string, err error))
	// Annotate adds key, value attributes to the request span in ctx.
	Annotate(ctx context.Context, kv ...string)
	// StartSpan starts a stage span (stageQueue, ...) under the request
	// span in ctx; the returned func ends it.
	StartSpan(ctx context.Context, stage string, kv ...string) (context.Context, func())
}

// ErrorReporter sends internal errors to error trackers (Sentry, Bugsnag,
// Honeybadger, Airbrake; docs/monitoring.md). Report must not block; req
// is a copy edge does not reuse. kv are key, value metadata pairs.
type ErrorReporter interface {
	Report(err error, req *http.Request, kv ...string)
}

// Stage names of the spans, as imgproxy names them (the backends format
// them: "queue", "downloading_source_image", ...), and the attribute keys.
const (
	stageQueue      = "Queue"
	stageDownload   = "Downloading source image"
	stageProcessing = "Processing image"
	stageStreaming  = "Streaming image"

	attrSourceURL    = "imgproxy.source_image_url"
	attrSourceOrigin = "imgproxy.source_image_origin"
)

// startTrace starts the request span of a processing request (Deps.Tracer
// set): st.tctx carries it into the request's contexts.
func (s *Server) startTrace(ctx *fasthttp.RequestCtx, st *reqState) {
	hdr := &ctx.Request.Header
	st.tctx, st.endTrace = s.deps.Tracer.StartRequest(context.Background(), string(ctx.Method()), string(ctx.RequestURI()),
		func(k string) string { return string(hdr.Peek(k)) })
}

// requestContext is the base of a request's contexts: the trace's when
// tracing is on, else Background.
func (st *reqState) requestContext() context.Context {
	if st.tctx != nil {
		return st.tctx
	}
	return context.Background()
}

// annotateSource adds the source URL and its origin to the request span.
func (s *Server) annotateSource(st *reqState) {
	if st.tctx != nil {
		s.deps.Tracer.Annotate(st.tctx, attrSourceURL, st.req.SourceURL, attrSourceOrigin, sourceOrigin(st.req.SourceURL))
	}
}

// sourceOrigin is "scheme://host" of a source URL ("" without a scheme).
func sourceOrigin(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || scheme == "" {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}

// endTrace ends the request span with the response status and the error
// (none for a client that went away, as imgproxy).
func (s *Server) endTrace(st *reqState) {
	if st.endTrace == nil {
		return
	}
	if st.err == nil || st.kind == options.KindCanceled {
		st.endTrace(st.status, "", nil)
		return
	}
	st.endTrace(st.status, errTypeNames[st.errType], st.err)
}

// reportError sends st.err to the error trackers when it is an internal
// error (500, panics included) or, with ReportDownloadingErrors, a source
// failure answered with 502 or 504. Client errors, timeouts (503) and
// clients that left (499) are not reported.
func (s *Server) reportError(ctx *fasthttp.RequestCtx, st *reqState) {
	if st.err == nil {
		return
	}
	switch {
	case st.kind == options.KindUnexpected:
	case s.cfg.ReportDownloadingErrors && st.errType == errTypeDownload && (st.status == 502 || st.status == 504):
	default:
		return
	}
	var req http.Request
	if err := fasthttpadaptor.ConvertRequest(ctx, &req, true); err != nil {
		s.deps.Reporter.Report(st.err, nil, "Request ID", string(st.id), "Source Image URL", st.req.SourceURL)
		return
	}
	s.deps.Reporter.Report(st.err, &req, "Request ID", string(st.id), "Source Image URL", st.req.SourceURL)
}

// clientCookies copies what cookie passthrough needs from the request
// (fetch decides which cookies go to the source). A new value per request:
// a coalesced job may outlive the handler.
func clientCookies(h *fasthttp.RequestHeader) *options.ClientCookies {
	return &options.ClientCookies{
		Cookie:         string(h.Peek("Cookie")),
		Host:           string(h.Host()),
		ForwardedProto: string(h.Peek("X-Forwarded-Proto")),
		ForwardedHost:  string(h.Peek("X-Forwarded-Host")),
		ForwardedPort:  string(h.Peek("X-Forwarded-Port")),
	}
}

// appendCookiesKey adds the client cookies to a coalescing key, so that
// requests with different cookies never share a job.
func appendCookiesKey(dst []byte, c *options.ClientCookies) []byte {
	if c == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	for _, v := range [...]string{c.Cookie, c.Host, c.ForwardedProto, c.ForwardedHost, c.ForwardedPort} {
		dst = appendKeyString(dst, v)
	}
	return dst
}
