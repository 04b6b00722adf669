package edge

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"github.com/valyala/fasthttp"
)

// logRequest writes the one line of a processing request. It never logs
// the signature, keys or salts: the path logged is the signed part only
// (or the URI with its first segment masked when it could not be split).
func (s *Server) logRequest(ctx *fasthttp.RequestCtx, st *reqState, total time.Duration) {
	level := levelFor(st.status)
	bg := context.Background()
	if !s.log.Enabled(bg, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("request_id", string(st.id)),
		slog.String("method", string(ctx.Method())),
		slog.String("path", s.logPath(ctx, st)),
		slog.Int("status", st.status),
		slog.Int("bytes", st.bytes),
		slog.Float64("queue_ms", ms(st.queue)),
		slog.Float64("download_ms", ms(st.download)),
		slog.Float64("processing_ms", ms(st.processing)),
		slog.Float64("total_ms", ms(total)),
		slog.String("client_ip", clientIP(ctx)),
	)
	if st.req.SourceURL != "" {
		attrs = append(attrs, slog.String("source", sourceScheme(st.req.SourceURL)))
	}
	if st.shared {
		attrs = append(attrs, slog.Bool("coalesced", true))
	}
	if st.fallback {
		attrs = append(attrs, slog.Bool("fallback", true))
	}
	if st.err != nil {
		attrs = append(attrs, slog.String("error_kind", st.kind.String()), slog.String("error", st.err.Error()))
	}
	s.log.LogAttrs(bg, level, "request", attrs...)
}

// logOther logs a non-processing route (landing, 404s, HEAD/OPTIONS) at debug.
func (s *Server) logOther(ctx *fasthttp.RequestCtx, st *reqState) {
	bg := context.Background()
	if !s.log.Enabled(bg, slog.LevelDebug) {
		return
	}
	s.log.LogAttrs(bg, slog.LevelDebug, "request",
		slog.String("request_id", string(st.id)),
		slog.String("method", string(ctx.Method())),
		slog.String("path", string(maskFirstSegment(ctx.Path()))),
		slog.Int("status", ctx.Response.StatusCode()),
		slog.Float64("total_ms", ms(time.Since(st.start))),
		slog.String("client_ip", clientIP(ctx)),
	)
}

func (s *Server) logPath(ctx *fasthttp.RequestCtx, st *reqState) string {
	if st.path != nil {
		return string(st.path)
	}
	uri := ctx.RequestURI()
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	uri = bytes.TrimPrefix(uri, s.prefix)
	return string(maskFirstSegment(uri))
}

// maskFirstSegment replaces the first path segment (the signature's place)
// with "-".
func maskFirstSegment(p []byte) []byte {
	if len(p) < 2 || p[0] != '/' {
		return p
	}
	out := []byte("/-")
	if i := bytes.IndexByte(p[1:], '/'); i >= 0 {
		out = append(out, p[i+1:]...)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
