package fetch

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/imgedge/imgedge/options"
)

// Stream serves the `raw` option (docs/processing.md, "Requests that are
// not processed"): it forwards req's headers (If-None-Match,
// If-Modified-Since, Accept-Encoding, Range) to the source and fills resp
// with the source's status and pass-through headers.
// The returned body must be closed by the caller; it is never nil when err
// is nil (an empty reader for 304). A non-2xx HTTP status is not an error:
// it is passed through. No size or type checks apply and the body is not
// decoded. Config.DownloadTimeout bounds the wait for the response headers;
// reading the body is bounded by ctx only. Errors are *options.Error
// (transport failures, refused addresses, unknown schemes, missing objects).
func (f *Fetcher) Stream(ctx context.Context, url string, req *options.StreamRequest, resp *options.StreamResponse) (io.ReadCloser, error) {
	if req == nil {
		req = new(options.StreamRequest)
	}
	*resp = options.StreamResponse{ContentLength: -1}
	cctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(f.cfg.DownloadTimeout, func() { cancel(errDownloadTimeout) })
	body, err := f.stream(cctx, url, req, resp)
	if !timer.Stop() && err == nil {
		// The deadline fired just as the answer came: treat as a timeout.
		body.Close()
		err = context.Cause(cctx)
	}
	if err != nil {
		cancel(nil)
		*resp = options.StreamResponse{ContentLength: -1}
		return nil, classifyErr(ctx, cctx, err)
	}
	return &cancelOnClose{ReadCloser: body, cancel: cancel}, nil
}

func (f *Fetcher) stream(ctx context.Context, url string, req *options.StreamRequest, resp *options.StreamResponse) (io.ReadCloser, error) {
	scheme, rest := splitScheme(url)
	cond := &options.Conditional{IfNoneMatch: req.IfNoneMatch, IfModifiedSince: req.IfModifiedSince}
	switch scheme {
	case "http", "https":
		return f.streamHTTP(ctx, url, req, resp)
	case "local":
		return f.streamLocal(rest, cond, resp)
	case "s3":
		if f.s3 != nil {
			return f.streamObject(ctx, f.s3, rest, cond, resp)
		}
	case "gs":
		if f.gcs != nil {
			return f.streamObject(ctx, f.gcs, rest, cond, resp)
		}
	case "abs":
		if f.abs != nil {
			return f.streamObject(ctx, f.abs, rest, cond, resp)
		}
	case "swift":
		if f.swift != nil {
			return f.streamObject(ctx, f.swift, rest, cond, resp)
		}
	}
	return nil, options.Errorf(options.KindUnreachable, "unknown or disabled source scheme %q", scheme)
}

func (f *Fetcher) streamHTTP(ctx context.Context, url string, sreq *options.StreamRequest, resp *options.StreamResponse) (io.ReadCloser, error) {
	req, err := f.newHTTPRequest(ctx, url)
	if err != nil {
		return nil, err
	}
	setIf(req.Header, "If-None-Match", sreq.IfNoneMatch)
	setIf(req.Header, "If-Modified-Since", sreq.IfModifiedSince)
	setIf(req.Header, "Range", sreq.Range)
	setIf(req.Header, "Cookie", f.sourceCookies(ctx, url))
	// Always set, so the transport never adds gzip itself; "identity"
	// when the client sent nothing.
	if sreq.AcceptEncoding != "" {
		req.Header.Set("Accept-Encoding", sreq.AcceptEncoding)
	} else {
		req.Header.Set("Accept-Encoding", "identity")
	}
	r, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	h := r.Header
	resp.Status = r.StatusCode
	resp.ContentLength = r.ContentLength
	resp.ContentType = h.Get("Content-Type")
	resp.ContentEncoding = h.Get("Content-Encoding")
	resp.ContentRange = h.Get("Content-Range")
	resp.AcceptRanges = h.Get("Accept-Ranges")
	resp.LastModified = h.Get("Last-Modified")
	resp.ETag = h.Get("ETag")
	resp.CacheControl = h.Get("Cache-Control")
	resp.Expires = h.Get("Expires")
	return r.Body, nil
}

func setIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

func (f *Fetcher) streamLocal(rest string, cond *options.Conditional, resp *options.StreamResponse) (io.ReadCloser, error) {
	file, fi, name, err := f.openLocal(rest)
	if err != nil {
		return nil, err
	}
	var meta options.SourceMeta
	localMeta(&meta, name, fi)
	resp.ETag, resp.LastModified, resp.ContentType = meta.ETag, meta.LastModified, meta.ContentType
	if notModified(cond, meta.ETag, meta.LastModified) {
		file.Close()
		resp.Status, resp.ContentLength, resp.ContentType = http.StatusNotModified, 0, ""
		return http.NoBody, nil
	}
	resp.Status = http.StatusOK
	resp.ContentLength = fi.Size()
	return file, nil
}

func (f *Fetcher) streamObject(ctx context.Context, src objectSource, rest string, cond *options.Conditional, resp *options.StreamResponse) (io.ReadCloser, error) {
	obj, err := f.openObject(ctx, src, rest, cond)
	if err != nil {
		return nil, err
	}
	resp.ETag, resp.LastModified, resp.CacheControl, resp.Expires = obj.etag, obj.lastModified, obj.cacheControl, obj.expires
	if obj.notModified {
		resp.Status, resp.ContentLength = http.StatusNotModified, 0
		return http.NoBody, nil
	}
	resp.Status = http.StatusOK
	resp.ContentLength = obj.size
	resp.ContentType = obj.contentType
	resp.ContentEncoding = obj.contentEncoding
	return obj.body, nil
}

// cancelOnClose releases the stream's context when the body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
	once   sync.Once
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(func() { c.cancel(nil) })
	return err
}
