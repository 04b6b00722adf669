package edge

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
)

// stream serves the `raw` option (docs/http.md "raw"): no worker, no
// checks; the origin's status, selected headers and body pass through. The
// body is copied by fasthttp after the handler returns, so the request's
// deadline context lives until the body stream is closed.
func (s *Server) stream(ctx *fasthttp.RequestCtx, st *reqState) error {
	st.streaming = true
	h := &ctx.Request.Header
	rq := options.StreamRequest{
		IfNoneMatch:     string(h.Peek("If-None-Match")),
		IfModifiedSince: string(h.Peek("If-Modified-Since")),
		AcceptEncoding:  string(h.Peek("Accept-Encoding")),
		Range:           string(h.Peek("Range")),
	}
	rctx, cancel := context.WithDeadline(st.requestContext(), st.start.Add(s.cfg.RequestTimeout))
	if st.cookies != nil {
		rctx = options.WithClientCookies(rctx, st.cookies)
	}
	var resp options.StreamResponse
	t0 := time.Now()
	sctx, endSpan := rctx, func() {}
	if s.deps.Tracer != nil {
		sctx, endSpan = s.deps.Tracer.StartSpan(rctx, stageStreaming, attrSourceURL, st.req.SourceURL)
	}
	rc, err := s.deps.Streamer.Stream(sctx, st.req.SourceURL, &rq, &resp)
	endSpan()
	st.download = time.Since(t0)
	if err != nil {
		cancel()
		return err
	}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	st.status = status
	ctx.SetStatusCode(status)
	rh := &ctx.Response.Header
	set := func(k, v string) {
		if v != "" {
			rh.Set(k, v)
		}
	}
	set("Content-Encoding", resp.ContentEncoding)
	set("Content-Range", resp.ContentRange)
	set("Accept-Ranges", resp.AcceptRanges)
	set("Last-Modified", resp.LastModified)
	set("ETag", resp.ETag)
	if resp.ContentType != "" {
		rh.SetContentType(resp.ContentType)
	}
	meta := options.SourceMeta{CacheControl: resp.CacheControl, Expires: resp.Expires}
	if cc := s.appendCacheControl(st.buf[:0], status, &st.req.Options, &meta, false, time.Now()); len(cc) > 0 {
		rh.SetBytesV("Cache-Control", cc)
	}
	if status >= 200 && status < 300 {
		ext := rawExt(st.req.SourceURL, resp.ContentType)
		rh.SetBytesV("Content-Disposition", appendDispositionExt(st.buf[:0], &st.req.Options, st.req.SourceURL, ext))
	}
	s.setServerTiming(ctx, st)
	if status == fasthttp.StatusNotModified || status == fasthttp.StatusNoContent || status < 200 {
		rc.Close()
		cancel()
		return nil
	}
	n := int(resp.ContentLength)
	if resp.ContentLength < 0 || int64(n) != resp.ContentLength {
		n = -1
	}
	st.bytes = n
	ctx.SetBodyStream(&rawBody{rc: rc, cancel: cancel, start: t0, span: s.m}, n)
	return nil
}

// rawBody passes the origin body through and ends the request context and
// the streaming span when fasthttp closes it.
type rawBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	start  time.Time
	span   *serverMetrics
}

func (b *rawBody) Read(p []byte) (int, error) { return b.rc.Read(p) }

func (b *rawBody) Close() error {
	if b.rc == nil {
		return nil
	}
	err := b.rc.Close()
	b.rc = nil
	b.cancel()
	observe(b.span.spanStreaming, time.Since(b.start))
	return err
}

func formatOfMIME(ct string) options.Format {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(strings.ToLower(ct))
	for f := options.Format(1); int(f) < options.NumFormats; f++ {
		if f.MIME() == ct {
			return f
		}
	}
	return options.FormatUnknown
}
