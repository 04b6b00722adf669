package options

import "context"

// ClientCookies is what edge copies from an incoming request for cookie
// passthrough (IMGPROXY_COOKIE_PASSTHROUGH, docs/sources.md#cookie-passthrough):
// the raw Cookie header and the headers that tell which URL the client
// thinks it is talking to. fetch decides which cookies, if any, go to the
// source (fetch.ForwardedCookies). Empty strings mean "not sent".
type ClientCookies struct {
	Cookie         string // Cookie
	Host           string // Host
	ForwardedProto string // X-Forwarded-Proto
	ForwardedHost  string // X-Forwarded-Host
	ForwardedPort  string // X-Forwarded-Port
}

type cookiesKey struct{}

// WithClientCookies returns a context carrying the client's cookies for
// the source request. c must not be modified afterwards; nil or an empty
// Cookie means nothing is forwarded.
func WithClientCookies(ctx context.Context, c *ClientCookies) context.Context {
	return context.WithValue(ctx, cookiesKey{}, c)
}

// ClientCookiesFrom returns the cookies stored by WithClientCookies, or nil.
func ClientCookiesFrom(ctx context.Context) *ClientCookies {
	c, _ := ctx.Value(cookiesKey{}).(*ClientCookies)
	return c
}
