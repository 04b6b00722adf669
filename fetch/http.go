package fetch

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imgedge/imgedge/options"
)

// Decompression bounds (Content-Encoding gzip/deflate): the decoded body may
// not exceed the size limit, nor inflateRatio times the compressed bytes
// read so far plus inflateSlack (real images and SVGs stay far below; a
// deflate bomb is ~1000:1), nor maxInflated when there is no size limit.
const (
	inflateRatio = 256
	inflateSlack = 1 << 20
	maxInflated  = 256 << 20
)

// errTooManyRedirects is returned by CheckRedirect.
var errTooManyRedirects = errors.New("fetch: too many redirects")

// initHTTP builds the one shared client. The SSRF check is the dialer's
// Control hook, so it applies to every connection the transport opens.
func (f *Fetcher) initHTTP() {
	dialer := &net.Dialer{
		Timeout:   f.cfg.DownloadTimeout,
		KeepAlive: 30 * time.Second,
		Control:   f.policy.control,
	}
	f.transport = &http.Transport{
		// Proxies from HTTP(S)_PROXY are honoured (docs/security.md, "What may be fetched").
		// The address rules then apply to the proxy connection only: the
		// proxy must enforce its own egress policy.
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true, // a custom dialer disables HTTP/2 unless forced
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       f.cfg.ClientKeepAliveTimeout,
		DisableKeepAlives:     f.cfg.ClientKeepAliveTimeout == 0,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: f.cfg.DownloadTimeout,
		// We send Accept-Encoding and decode ourselves, with bounds.
		DisableCompression: true,
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: f.cfg.IgnoreSSLVerification, //nolint:gosec // opt-in, IMGPROXY_IGNORE_SSL_VERIFICATION
			MinVersion:         tls.VersionTLS12,
		},
	}
	maxRedirects := f.cfg.MaxRedirects
	var rt http.RoundTripper = f.transport
	if f.cfg.WrapTransport != nil {
		rt = f.cfg.WrapTransport(rt)
	}
	f.client = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w (limit %d)", errTooManyRedirects, maxRedirects)
			}
			return nil
		},
	}
}

// newHTTPRequest builds a source request with our headers.
func (f *Fetcher) newHTTPRequest(ctx context.Context, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, options.Wrap(options.KindUnreachable, "invalid source URL", err)
	}
	if req.URL.Host == "" {
		return nil, options.Errorf(options.KindUnreachable, "source URL %q has no host", url)
	}
	for k, vs := range f.cfg.Header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	req.Header.Set("User-Agent", f.userAgent)
	return req, nil
}

// fetchHTTP downloads an http(s) source into a pooled buffer. cookie is
// the Cookie header to send ("" = none). nil buffer and nil error = not
// modified.
func (f *Fetcher) fetchHTTP(ctx context.Context, url, cookie string, cond *options.Conditional, meta *options.SourceMeta, limit int64) (*buffer, error) {
	req, err := f.newHTTPRequest(ctx, url)
	if err != nil {
		return nil, err
	}
	setIf(req.Header, "Cookie", cookie)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	if cond != nil {
		if cond.IfNoneMatch != "" {
			req.Header.Set("If-None-Match", cond.IfNoneMatch)
		}
		if cond.IfModifiedSince != "" {
			req.Header.Set("If-Modified-Since", cond.IfModifiedSince)
		}
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp.Body)

	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusPartialContent && coversWhole(resp):
	case resp.StatusCode == http.StatusNotModified && cond != nil:
		fillMetaFromHeader(meta, resp.Header)
		meta.NotModified = true
		return nil, nil
	case resp.StatusCode >= 400 && resp.StatusCode <= 599:
		return nil, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: resp.StatusCode,
			Msg: "source answered " + resp.Status}
	default:
		return nil, options.Errorf(options.KindUnreachable, "unexpected source status %q", resp.Status)
	}
	fillMetaFromHeader(meta, resp.Header)
	buf, err := readHTTPBody(resp, limit)
	if err != nil {
		*meta = options.SourceMeta{}
		return nil, err
	}
	return buf, nil
}

// readHTTPBody reads (and decodes) a 200 response body.
func readHTTPBody(resp *http.Response, limit int64) (*buffer, error) {
	cl := resp.ContentLength
	if limit > 0 && cl > limit {
		return nil, options.Errorf(options.KindSourceTooBig, "source Content-Length %d is over the %d bytes limit", cl, limit)
	}
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		if cl >= 0 {
			return readKnown(resp.Body, cl, limit)
		}
		return readUnknown(resp.Body, limit, 0)
	case "gzip", "x-gzip", "deflate":
	default:
		return nil, options.Errorf(options.KindUnreachable, "unsupported source Content-Encoding %q", enc)
	}
	cr := &countingReader{r: resp.Body}
	var (
		zr  io.ReadCloser
		err error
	)
	if enc == "deflate" {
		zr, err = newDeflateReader(cr)
	} else {
		zr, err = gzip.NewReader(cr)
	}
	if err != nil {
		return nil, wrapDecodeErr(err)
	}
	defer zr.Close()
	max := int64(maxInflated)
	if limit > 0 {
		max = limit
	}
	hint := 0
	if cl > 0 {
		hint = int(min(cl*2, 8<<20))
	}
	buf, err := readUnknown(&bombGuard{r: zr, compressed: cr}, max, hint)
	if err != nil {
		return nil, wrapDecodeErr(err)
	}
	return buf, nil
}

func wrapDecodeErr(err error) error {
	var oe *options.Error
	switch {
	case errors.As(err, &oe):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return options.Wrap(options.KindIncomplete, "compressed source body ended early", err)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, zlib.ErrHeader),
		errors.Is(err, zlib.ErrChecksum):
		return options.Wrap(options.KindUnreachable, "cannot decode source Content-Encoding", err)
	}
	var ce flate.CorruptInputError
	if errors.As(err, &ce) {
		return options.Wrap(options.KindUnreachable, "cannot decode source Content-Encoding", err)
	}
	return err
}

// newDeflateReader accepts both zlib-wrapped (RFC 9110) and raw deflate,
// which some servers send.
func newDeflateReader(r io.Reader) (io.ReadCloser, error) {
	var hdr [2]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, io.ErrUnexpectedEOF
	}
	mr := io.MultiReader(strings.NewReader(string(hdr[:n])), r)
	if hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
		return zlib.NewReader(mr)
	}
	return flate.NewReader(mr), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bombGuard fails a decoded stream whose size runs away from the compressed
// bytes consumed.
type bombGuard struct {
	r          io.Reader
	compressed *countingReader
	out        int64
}

func (g *bombGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.out > inflateSlack+inflateRatio*g.compressed.n {
		return n, options.Errorf(options.KindSourceTooBig,
			"compressed source expands over %d:1 (%d bytes from %d)", inflateRatio, g.out, g.compressed.n)
	}
	return n, err
}

// coversWhole reports whether a 206 answer's Content-Range is the whole file.
func coversWhole(resp *http.Response) bool {
	cr := resp.Header.Get("Content-Range")
	rest, ok := strings.CutPrefix(cr, "bytes 0-")
	if !ok {
		return false
	}
	last, total, ok := strings.Cut(rest, "/")
	if !ok {
		return false
	}
	l, err1 := strconv.ParseInt(last, 10, 64)
	t, err2 := strconv.ParseInt(total, 10, 64)
	return err1 == nil && err2 == nil && l+1 == t
}

// closeBody drains a little of an unread body so the connection can be
// reused, then closes it.
func closeBody(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 32<<10)
	body.Close()
}

func fillMetaFromHeader(meta *options.SourceMeta, h http.Header) {
	meta.ETag = h.Get("ETag")
	meta.LastModified = h.Get("Last-Modified")
	meta.CacheControl = h.Get("Cache-Control")
	meta.Expires = h.Get("Expires")
	meta.ContentType = h.Get("Content-Type")
}
