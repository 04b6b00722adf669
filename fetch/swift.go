package fetch

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/ncw/swift/v2"

	"github.com/imgedge/imgedge/options"
)

// swiftSource reads swift://container/object from OpenStack Swift with
// github.com/ncw/swift/v2. The connection authenticates once in New (so a
// wrong IMGPROXY_SWIFT_* setting stops start-up) and re-authenticates by
// itself when the token expires. Like imgproxy, a "query" after
// IMGPROXY_SOURCE_URL_QUERY_SEPARATOR is accepted and ignored: Swift
// objects have no version selector in the URL.
type swiftSource struct {
	conn                *swift.Connection
	allowList, denyList []string
}

func newSwiftSource(ctx context.Context, cfg *Config) (*swiftSource, error) {
	conn := &swift.Connection{
		UserName:       cfg.SwiftUsername,
		ApiKey:         cfg.SwiftAPIKey,
		AuthUrl:        cfg.SwiftAuthURL,
		AuthVersion:    cfg.SwiftAuthVersion,
		Domain:         cfg.SwiftDomain, // v3 auth only
		Tenant:         cfg.SwiftTenant, // v2 and v3 auth
		ConnectTimeout: cfg.SwiftConnectTimeout,
		Timeout:        cfg.SwiftTimeout,
		UserAgent:      "imgedge/" + Version,
		// One retry: IMGPROXY_DOWNLOAD_TIMEOUT bounds the whole fetch anyway.
		Retries: 1,
	}
	if err := conn.Authenticate(ctx); err != nil {
		return nil, errorf("IMGPROXY_SWIFT_AUTH_URL: swift authentication at %q failed: %w", cfg.SwiftAuthURL, err)
	}
	return &swiftSource{conn: conn, allowList: cfg.SwiftAllowedContainers, denyList: cfg.SwiftDeniedContainers}, nil
}

func (s *swiftSource) name() string { return "swift" }

func (s *swiftSource) allowed(container string) bool {
	return bucketAllowed(s.allowList, s.denyList, container)
}

func (s *swiftSource) open(ctx context.Context, ref objectRef, cond *options.Conditional) (*object, error) {
	h := swift.Headers{}
	if cond != nil {
		if cond.IfNoneMatch != "" {
			h["If-None-Match"] = cond.IfNoneMatch
		} else if cond.IfModifiedSince != "" {
			// RFC 9110 §13.1.3: ignored when If-None-Match is present.
			h["If-Modified-Since"] = cond.IfModifiedSince
		}
	}
	file, hdr, err := s.conn.ObjectOpen(ctx, ref.bucket, ref.key, false, h)
	if err != nil {
		if errors.Is(err, swift.NotModified) {
			obj := &object{size: -1, notModified: true}
			swiftMeta(obj, hdr)
			return obj, nil
		}
		return nil, swiftErr(ref, err)
	}
	obj := &object{body: file, size: -1}
	swiftMeta(obj, hdr)
	if n, err := strconv.ParseInt(hdr[http.CanonicalHeaderKey("Content-Length")], 10, 64); err == nil && n >= 0 {
		obj.size = n
	}
	return obj, nil
}

// swiftMeta copies the validators and caching headers. Swift sends the
// object's MD5 as a bare hex ETag; it is quoted into a valid entity-tag.
func swiftMeta(obj *object, h swift.Headers) {
	get := func(k string) string { return h[http.CanonicalHeaderKey(k)] }
	obj.etag = quoteETag(get("ETag"))
	obj.lastModified = get("Last-Modified")
	obj.contentType = get("Content-Type")
	obj.cacheControl = get("Cache-Control")
	obj.expires = get("Expires")
	obj.contentEncoding = get("Content-Encoding")
}

// swiftErr maps Swift errors: missing object or container → 404, other
// HTTP statuses pass through as KindUpstreamStatus.
func swiftErr(ref objectRef, err error) error {
	if errors.Is(err, swift.ObjectNotFound) || errors.Is(err, swift.ContainerNotFound) {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404,
			Msg: "swift object " + ref.bucket + "/" + ref.key + " not found", Err: err}
	}
	var se *swift.Error
	if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode <= 599 {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: se.StatusCode, Msg: "swift GET failed", Err: err}
	}
	return err
}

// swiftDefaultTimeouts are imgproxy's defaults of
// IMGPROXY_SWIFT_CONNECT_TIMEOUT_SECONDS and IMGPROXY_SWIFT_TIMEOUT_SECONDS.
const (
	swiftDefaultConnectTimeout = 10 * time.Second
	swiftDefaultTimeout        = 60 * time.Second
)
