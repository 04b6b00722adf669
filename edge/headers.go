package edge

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
)

// Header values shared by every response (docs/http.md "Routes").
const (
	cspValue   = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
	corsMethod = "GET, OPTIONS"
	// fallbackHeader marks a response that carries the fallback image.
	fallbackHeader = "X-Imgedge-Fallback"
)

// b2s converts without copying; the string must not outlive b's contents.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// httpDate is the IMF-fixdate layout of HTTP dates.
const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// nanoid alphabet (URL-safe, 64 symbols: 6 bits each).
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// idLen is the generated X-Request-ID length (nanoid's default).
const idLen = 21

// maxIncomingIDLen bounds an echoed X-Request-ID so logs stay small.
const maxIncomingIDLen = 128

// appendRequestID appends the incoming id if it matches ^[A-Za-z0-9_-]+$
// (and is not absurdly long), else a fresh 21-char random id.
func appendRequestID(dst, incoming []byte) []byte {
	if len(incoming) > 0 && len(incoming) <= maxIncomingIDLen && validID(incoming) {
		return append(dst, incoming...)
	}
	// math/rand/v2's global source is ChaCha8, seeded from the OS: good
	// enough for unguessable ids, and lock-free.
	a, b := rand.Uint64(), rand.Uint64()
	for i := 0; i < idLen; i++ {
		var v uint64
		if i < 10 {
			v = a >> (6 * i)
		} else {
			v = b >> (6 * (i - 10))
		}
		dst = append(dst, idAlphabet[v&63])
	}
	return dst
}

func validID(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// initNegotiation precomputes the Vary header and the Auto/Enforce masks.
func (s *Server) initNegotiation() {
	c := &s.cfg
	add := func(set options.FormatSet, on bool, f options.Format) options.FormatSet {
		if on {
			return set.With(f)
		}
		return set
	}
	s.negAuto = add(add(add(0, c.AutoWebP, options.FormatWebP), c.AutoAVIF, options.FormatAVIF), c.AutoJXL, options.FormatJXL)
	s.negEnforce = add(add(add(0, c.EnforceWebP, options.FormatWebP), c.EnforceAVIF, options.FormatAVIF), c.EnforceJXL, options.FormatJXL)
	s.preferred = c.PreferredFormats // nil = options.ChooseFormat's default
	var parts []string
	if s.negAuto|s.negEnforce != 0 {
		parts = append(parts, "Accept")
	}
	if s.clientHints {
		parts = append(parts, "Sec-CH-DPR", "DPR", "Sec-CH-Width", "Width")
	}
	s.vary = strings.Join(parts, ", ")
}

// negotiate fills neg from the Accept header (the inputs of
// options.ChooseFormat, docs/url-format.md "Output format").
func (s *Server) negotiate(accept []byte, neg *options.Negotiation) {
	neg.Preferred = s.preferred
	neg.Auto, neg.Enforce = 0, 0
	if s.negAuto|s.negEnforce == 0 || len(accept) == 0 {
		return
	}
	var acc options.FormatSet
	if acceptsType(accept, "image/webp") {
		acc = acc.With(options.FormatWebP)
	}
	if acceptsType(accept, "image/avif") {
		acc = acc.With(options.FormatAVIF)
	}
	if acceptsType(accept, "image/jxl") {
		acc = acc.With(options.FormatJXL)
	}
	neg.Auto = acc & s.negAuto
	neg.Enforce = acc & s.negEnforce
}

// acceptsType reports whether the Accept list names mime with a non-zero q.
func acceptsType(accept []byte, mime string) bool {
	for len(accept) > 0 {
		var item []byte
		if i := bytes.IndexByte(accept, ','); i >= 0 {
			item, accept = accept[:i], accept[i+1:]
		} else {
			item, accept = accept, nil
		}
		params := []byte(nil)
		if i := bytes.IndexByte(item, ';'); i >= 0 {
			item, params = item[:i], item[i+1:]
		}
		if !bytes.EqualFold(bytes.TrimSpace(item), []byte(mime)) {
			continue
		}
		return !zeroQ(params)
	}
	return false
}

func zeroQ(params []byte) bool {
	for len(params) > 0 {
		var p []byte
		if i := bytes.IndexByte(params, ';'); i >= 0 {
			p, params = params[:i], params[i+1:]
		} else {
			p, params = params, nil
		}
		p = bytes.TrimSpace(p)
		if len(p) > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' {
			q, err := strconv.ParseFloat(b2s(p[2:]), 64)
			return err == nil && q <= 0
		}
	}
	return false
}

// clientHints reads the DPR and Width hints (IMGPROXY_ENABLE_CLIENT_HINTS,
// docs/config.md)
// into hints; the parser validates them and divides the width by the dpr.
func clientHints(h *fasthttp.RequestHeader, hints *options.Hints) {
	dprB := h.Peek("Sec-CH-DPR")
	if len(dprB) == 0 {
		dprB = h.Peek("DPR")
	}
	if len(dprB) > 0 {
		if v, err := strconv.ParseFloat(b2s(bytes.TrimSpace(dprB)), 64); err == nil && v > 0 && v <= 8 {
			hints.DPR = v
		}
	}
	wB := h.Peek("Sec-CH-Width")
	if len(wB) == 0 {
		wB = h.Peek("Width")
	}
	if len(wB) > 0 {
		if v, err := strconv.Atoi(b2s(bytes.TrimSpace(wB))); err == nil && v > 0 {
			hints.Width = v
		}
	}
}

// conditional builds the validators forwarded to the source
// (docs/http.md "Validators and 304"). ok=false means "send none at all" (a busted
// If-None-Match that does not carry our prefix).
func (s *Server) conditional(h *fasthttp.RequestHeader, cond *options.Conditional) {
	*cond = options.Conditional{}
	if s.cfg.UseETag {
		if inm := h.Peek("If-None-Match"); len(inm) > 0 {
			if s.cfg.ETagBuster == "" {
				cond.IfNoneMatch = string(inm)
			} else {
				orig, ok := unbustETag(inm, s.cfg.ETagBuster)
				if !ok {
					return
				}
				cond.IfNoneMatch = orig
			}
		}
	}
	if s.cfg.UseLastModified {
		if ims := h.Peek("If-Modified-Since"); len(ims) > 0 {
			if s.cfg.LastModifiedBuster.IsZero() {
				cond.IfModifiedSince = string(ims)
			} else if t, err := fasthttp.ParseHTTPDate(ims); err == nil && t.After(s.cfg.LastModifiedBuster) {
				cond.IfModifiedSince = string(ims)
			}
		}
	}
}

// bustETag wraps an origin ETag: "<buster>/<base64url(etag)>".
func appendBustedETag(dst []byte, buster, etag string) []byte {
	dst = append(dst, '"')
	dst = append(dst, buster...)
	dst = append(dst, '/')
	dst = base64.RawURLEncoding.AppendEncode(dst, []byte(etag))
	return append(dst, '"')
}

func unbustETag(v []byte, buster string) (string, bool) {
	v = bytes.TrimSpace(v)
	v = bytes.TrimPrefix(v, []byte("W/"))
	if len(v) < len(buster)+3 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	v = v[1 : len(v)-1]
	if !bytes.HasPrefix(v, []byte(buster)) || v[len(buster)] != '/' {
		return "", false
	}
	dec, err := base64.RawURLEncoding.DecodeString(b2s(v[len(buster)+1:]))
	if err != nil || len(dec) == 0 {
		return "", false
	}
	return string(dec), true
}

// appendCacheControl appends the Cache-Control value (docs/http.md "A
// successful image"), or returns dst unchanged when no header must be sent.
func (s *Server) appendCacheControl(dst []byte, status int, opts *options.Options, meta *options.SourceMeta, fallback bool, now time.Time) []byte {
	ttl := s.cfg.TTL
	capped := false
	if fallback && s.cfg.FallbackImageTTL > 0 {
		ttl = s.cfg.FallbackImageTTL
	}
	if !opts.Expires.IsZero() {
		until := opts.Expires.Sub(now)
		if until < 0 {
			until = 0
		}
		if ttl <= 0 || until < ttl {
			ttl = until
		}
		capped = true
	}
	switch {
	case capped || fallback:
		if ttl <= 0 && !capped {
			return append(dst, "no-cache"...)
		}
		return appendMaxAge(dst, ttl)
	case status >= 400:
		return dst
	case s.cfg.CacheControlPassthrough && meta.CacheControl != "":
		return append(dst, meta.CacheControl...)
	case s.cfg.CacheControlPassthrough && meta.Expires != "":
		if t, err := fasthttp.ParseHTTPDate([]byte(meta.Expires)); err == nil {
			d := t.Sub(now)
			if d < 0 {
				d = 0
			}
			return appendMaxAge(dst, d)
		}
	}
	if s.cfg.TTL > 0 {
		return appendMaxAge(dst, s.cfg.TTL)
	}
	return append(dst, "no-cache"...)
}

func appendMaxAge(dst []byte, d time.Duration) []byte {
	dst = append(dst, "max-age="...)
	dst = strconv.AppendInt(dst, int64(d/time.Second), 10)
	return append(dst, ", public"...)
}

// appendDisposition appends `inline; filename="<stem>.<ext>"` (or
// attachment) with the extension of the result format f.
func appendDisposition(dst []byte, opts *options.Options, sourceURL string, f options.Format) []byte {
	return appendDispositionExt(dst, opts, sourceURL, f.Ext())
}

// appendDispositionExt is appendDisposition with the extension given
// (without the dot; "" = none).
func appendDispositionExt(dst []byte, opts *options.Options, sourceURL, ext string) []byte {
	if opts.ReturnAttachment {
		dst = append(dst, "attachment; filename=\""...)
	} else {
		dst = append(dst, "inline; filename=\""...)
	}
	stem := opts.Filename
	if stem == "" {
		stem = urlStem(sourceURL)
	}
	dst = appendFilename(dst, stem)
	if ext != "" {
		dst = append(dst, '.')
		dst = appendFilename(dst, ext)
	}
	return append(dst, '"')
}

// appendFilename appends s for a quoted filename: '"' is escaped and the
// characters that could break the header value are dropped.
func appendFilename(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			dst = append(dst, "%22"...)
		case '\r', '\n', 0:
			// Never let a header value break.
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// rawExt is the filename extension of a raw (streamed) answer: the source
// URL's own, whatever the type (a PDF stays ".pdf"), else the one of its
// Content-Type (docs/options.md, raw).
func rawExt(sourceURL, contentType string) string {
	if ext := urlExt(sourceURL); ext != "" {
		return ext
	}
	if f := formatOfMIME(contentType); f != options.FormatUnknown {
		return f.Ext()
	}
	if exts, err := mime.ExtensionsByType(contentType); err == nil && len(exts) > 0 {
		return strings.TrimPrefix(exts[0], ".")
	}
	return ""
}

// urlStem is the last path segment of a source URL minus its extension, or "image".
func urlStem(u string) string {
	u = urlName(u)
	if i := strings.LastIndexByte(u, '.'); i >= 0 {
		u = u[:i]
	}
	if u == "" {
		return "image"
	}
	return u
}

// urlExt is the extension (without the dot) of the last path segment of a
// source URL, or "".
func urlExt(u string) string {
	u = urlName(u)
	if i := strings.LastIndexByte(u, '.'); i >= 0 {
		return u[i+1:]
	}
	return ""
}

// urlName is the last path segment of a source URL, percent-decoded.
func urlName(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			u = ""
		}
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		u = u[i+1:]
	}
	if strings.IndexByte(u, '%') >= 0 {
		if d, err := url.PathUnescape(u); err == nil {
			u = d
		}
	}
	return u
}

// appendLastModified applies the Last-Modified buster: never older than it.
func (s *Server) lastModified(origin string) string {
	if s.lmBuster == "" {
		return origin
	}
	t, err := fasthttp.ParseHTTPDate([]byte(origin))
	if err != nil || t.Before(s.cfg.LastModifiedBuster) {
		return s.lmBuster
	}
	return origin
}

// appendServerTiming appends `queue;dur=…, download;dur=…, processing;dur=…, total;dur=…` in ms.
func appendServerTiming(dst []byte, queue, download, processing, total time.Duration) []byte {
	add := func(dst []byte, name string, d time.Duration) []byte {
		dst = append(dst, name...)
		dst = append(dst, ";dur="...)
		return strconv.AppendFloat(dst, float64(d.Microseconds())/1000, 'f', -1, 64)
	}
	dst = add(dst, "queue", queue)
	dst = append(dst, ", "...)
	dst = add(dst, "download", download)
	dst = append(dst, ", "...)
	dst = add(dst, "processing", processing)
	dst = append(dst, ", "...)
	return add(dst, "total", total)
}

// headerSafe reports whether v can go into a header value verbatim (no
// control characters that could split or end the header).
func headerSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func isHTTPURL(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// sourceScheme returns the scheme of a source URL for logs ("http", "s3", "local", ...).
func sourceScheme(u string) string {
	if i := strings.Index(u, "://"); i > 0 && i < 16 {
		return u[:i]
	}
	return ""
}

// clientIP: CF-Connecting-IP, else first X-Forwarded-For entry, else X-Real-IP, else the peer.
func clientIP(ctx *fasthttp.RequestCtx) string {
	h := &ctx.Request.Header
	if v := h.Peek("CF-Connecting-IP"); len(v) > 0 {
		return string(v)
	}
	if v := h.Peek("X-Forwarded-For"); len(v) > 0 {
		if i := bytes.IndexByte(v, ','); i >= 0 {
			v = v[:i]
		}
		return string(bytes.TrimSpace(v))
	}
	if v := h.Peek("X-Real-IP"); len(v) > 0 {
		return string(v)
	}
	return ctx.RemoteIP().String()
}
