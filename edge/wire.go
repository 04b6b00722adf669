package edge

import (
	"bytes"
	"errors"
	"net"
	"syscall"

	"github.com/valyala/fasthttp"
)

// Requests fasthttp cannot read or route as they are: an unsupported HTTP
// version, a request line or header block over the read buffer, and the
// "//segment/..." targets fasthttp takes for a scheme-relative URL. The
// answers follow what imgproxy's Go HTTP server sends (docs/migration.md).

// Transport-level error answers: Go's net/http writes these bodies with
// Content-Type "text/plain; charset=utf-8" and closes the connection.
const (
	bodyBadRequest     = "400 Bad Request"
	bodyURITooLong     = "414 URI Too Long"
	bodyHeaderTooLarge = "431 Request Header Fields Too Large"
	bodyBadVersion     = "505 HTTP Version Not Supported: unsupported protocol version"
)

// wireError answers a request that never reached a route.
func wireError(ctx *fasthttp.RequestCtx, status int, body string) {
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(body)
	ctx.SetConnectionClose()
}

// isHTTP1 reports whether proto (already checked by fasthttp to read
// "HTTP/d.d") is an HTTP/1.x version. Like Go's server, any 1.x minor is
// served as HTTP/1.1; other majors get 505.
func isHTTP1(proto []byte) bool {
	return bytes.HasPrefix(proto, []byte("HTTP/1."))
}

// serve is the fasthttp handler: it refuses HTTP versions other than 1.x
// (fasthttp would answer "HTTP/9.9" like HTTP/1.0) and passes everything
// else to the router.
func (s *Server) serve(route fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !isHTTP1(ctx.Request.Header.Protocol()) {
			wireError(ctx, fasthttp.StatusHTTPVersionNotSupported, bodyBadVersion)
			return
		}
		route(ctx)
	}
}

// handleReadError is fasthttp's ErrorHandler: it answers requests whose
// header could not be read or whose target could not be parsed. ctx holds
// the parsed request header only when the target was the problem.
func (s *Server) handleReadError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr *net.OpError
	switch {
	case errors.As(err, &small):
		// The request line and the header fields share the read buffer. A
		// request line that does not end inside it is a URI problem (414);
		// otherwise the header fields are too large (431).
		if c, ok := ctx.Conn().(*lineConn); ok && !c.lineEnded(s.srv.ReadBufferSize) {
			wireError(ctx, fasthttp.StatusRequestURITooLong, bodyURITooLong)
		} else {
			wireError(ctx, fasthttp.StatusRequestHeaderFieldsTooLarge, bodyHeaderTooLarge)
		}
	case errors.As(err, &netErr) && netErr.Timeout():
		ctx.Error("Request timeout", fasthttp.StatusRequestTimeout)
	case s.originFormTarget(ctx):
		// "//rs:fit:10:10/plain/..." is an origin-form path to imgproxy
		// (signature "rs:fit:10:10"), but fasthttp reads "rs:fit:10:10" as
		// a host and fails on it. Route it on the raw target instead.
		if !isHTTP1(ctx.Request.Header.Protocol()) {
			wireError(ctx, fasthttp.StatusHTTPVersionNotSupported, bodyBadVersion)
			return
		}
		s.dispatchPath(ctx, ctx.Request.Header.RequestURI())
	default:
		wireError(ctx, fasthttp.StatusBadRequest, bodyBadRequest)
	}
}

// originFormTarget reports whether the request header was read and its
// target starts with "//" but does not parse as fasthttp's URI: the case
// handleReadError routes itself.
func (s *Server) originFormTarget(ctx *fasthttp.RequestCtx) bool {
	h := &ctx.Request.Header
	uri := h.RequestURI()
	if !bytes.HasPrefix(uri, []byte("//")) {
		return false
	}
	u := fasthttp.AcquireURI()
	defer fasthttp.ReleaseURI(u)
	return u.Parse(h.Host(), uri) != nil
}

// lineListener wraps every accepted connection in a lineConn.
type lineListener struct{ net.Listener }

func (l lineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lineConn{Conn: c, lastNL: -1}, nil
}

// lineConn remembers where in the byte stream the last '\n' arrived, so
// that handleReadError can tell an over-long request line from over-long
// header fields. It is used by the connection's serving goroutine only.
type lineConn struct {
	net.Conn
	read   int64 // bytes returned by Read so far
	lastNL int64 // stream offset of the last '\n' returned by Read; -1 = none
}

func (c *lineConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if i := bytes.LastIndexByte(p[:n], '\n'); i >= 0 {
			c.lastNL = c.read + int64(i)
		}
		c.read += int64(n)
	}
	return n, err
}

// lineEnded reports whether a line ended within the last bufSize bytes
// read. When fasthttp gives up on a full read buffer of bufSize bytes, that
// buffer holds exactly the current request's first bufSize bytes, which
// are the last bufSize bytes read from the connection.
func (c *lineConn) lineEnded(bufSize int) bool {
	return c.lastNL >= c.read-int64(bufSize)
}

// SyscallConn exposes the socket for watchClient.
func (c *lineConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("edge: connection has no file descriptor")
	}
	return sc.SyscallConn()
}
