package fetch

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/imgedge/imgedge/options"
)

// Cookie passthrough (IMGPROXY_COOKIE_PASSTHROUGH, docs/sources.md#cookie-passthrough).
// A Cookie request header carries names and values only, not the domain
// and path each cookie was set for, so the scope has to be assumed: the
// cookies are treated as host-only cookies set by a base URL (the
// configured IMGPROXY_COOKIE_BASE_URL, else the URL the client addressed
// as told by X-Forwarded-Proto/Host/Port or Host) and forwarded to the
// source when a browser would send them there: same host (the port does
// not count, as for any cookie) and a path inside the base URL's
// directory. IMGPROXY_COOKIE_PASSTHROUGH_ALL forwards every cookie to
// every http(s) source.

// ForwardedCookies returns the Cookie header value to send with a request
// for source, built from the client's Cookie header: with all, every cookie
// the client sent; otherwise the cookies whose assumed scope, host-only
// cookies set by base, covers source (RFC 6265 rules through
// net/http/cookiejar with the public suffix list). It returns "" when no
// cookie applies, when base is nil (and all is false) or when source is not
// http(s). Malformed cookies in the header are skipped. It is a pure
// function, safe for concurrent use.
func ForwardedCookies(cookieHeader string, base, source *url.URL, all bool) string {
	if cookieHeader == "" || source == nil || (source.Scheme != "http" && source.Scheme != "https") {
		return ""
	}
	in := (&http.Request{Header: http.Header{"Cookie": {cookieHeader}}}).Cookies()
	if len(in) == 0 {
		return ""
	}
	if !all {
		if base == nil {
			return ""
		}
		jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
		if err != nil {
			return ""
		}
		// Only the name and value are known; SetCookies gives them the
		// host-only scope and default path of base.
		jar.SetCookies(base, in)
		in = jar.Cookies(source)
	}
	// AddCookie joins with "; " and sanitises names and values like
	// net/http does for any outgoing cookie.
	r := &http.Request{Header: http.Header{}}
	for _, c := range in {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted})
	}
	return r.Header.Get("Cookie")
}

// CookieBase returns the URL the client's cookies are assumed to belong to:
// configured when set (IMGPROXY_COOKIE_BASE_URL), else scheme from
// X-Forwarded-Proto (default http), host from X-Forwarded-Host or Host, and
// the port from X-Forwarded-Port when present. nil when no host is known.
func CookieBase(configured *url.URL, c *options.ClientCookies) *url.URL {
	if configured != nil {
		return configured
	}
	if c == nil {
		return nil
	}
	scheme := strings.ToLower(strings.TrimSpace(c.ForwardedProto))
	if scheme == "" {
		scheme = "http"
	}
	host := c.ForwardedHost
	if host == "" {
		host = c.Host
	}
	if host == "" {
		return nil
	}
	if c.ForwardedPort != "" {
		host += ":" + c.ForwardedPort
	}
	return &url.URL{Scheme: scheme, Host: host}
}

// sourceCookies returns the Cookie header for an http(s) source request
// from the client cookies in ctx (options.WithClientCookies); "" when
// passthrough is off or nothing applies.
func (f *Fetcher) sourceCookies(ctx context.Context, rawURL string) string {
	if !f.cfg.CookiePassthrough {
		return ""
	}
	c := options.ClientCookiesFrom(ctx)
	if c == nil || c.Cookie == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	if f.cfg.CookiePassthroughAll {
		return ForwardedCookies(c.Cookie, nil, u, true)
	}
	return ForwardedCookies(c.Cookie, CookieBase(f.cookieBase, c), u, false)
}

// cacheKey is the source cache key of url fetched with cookie: the
// cookies are part of it so that one client's cookies never serve
// another client's source.
func cacheKey(url, cookie string) string {
	if cookie == "" {
		return url
	}
	return url + "\x00cookie:" + cookie
}

// ForwardsCookies reports whether f forwards client cookies to sources
// (IMGPROXY_COOKIE_PASSTHROUGH): the caller then passes them with
// options.WithClientCookies and keeps requests with different cookies
// apart.
func (f *Fetcher) ForwardsCookies() bool { return f.cfg.CookiePassthrough }
