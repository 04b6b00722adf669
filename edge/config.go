package edge

import (
	"strings"
	"time"

	"github.com/imgedge/imgedge/options"
)

// Config is the front-end configuration: the settings of docs/config.md
// that live in the HTTP layer (timeouts, caching headers, negotiation,
// fallback image). main.go fills it from IMGPROXY_* variables. Values other
// parts own are not repeated here: the listen address stays in main, which
// hands a net.Listener to Serve; the path prefix and the client-hints
// switch belong to the parser (Deps.Parser); the metrics namespace comes
// with Deps.Metrics.
//
// A Config is read-only after New: the Server keeps a copy.
type Config struct {
	// HealthCheckPath (IMGPROXY_HEALTH_CHECK_PATH) is an extra path answering
	// like /health (below PathPrefix). Empty = none.
	HealthCheckPath string

	// ReadRequestTimeout (IMGPROXY_READ_REQUEST_TIMEOUT): time to read a request.
	ReadRequestTimeout time.Duration
	// WriteResponseTimeout (IMGPROXY_WRITE_RESPONSE_TIMEOUT): time to write a response.
	WriteResponseTimeout time.Duration
	// KeepAliveTimeout (IMGPROXY_KEEP_ALIVE_TIMEOUT): idle keep-alive time; 0 disables keep-alive.
	KeepAliveTimeout time.Duration
	// RequestTimeout (IMGPROXY_TIMEOUT): deadline on queue + download + processing → 503.
	RequestTimeout time.Duration
	// MaxClients (IMGPROXY_MAX_CLIENTS): simultaneous connections; 0 = unlimited.
	MaxClients int

	// Secret (IMGPROXY_SECRET): when set, processing needs "Authorization: Bearer <Secret>".
	Secret string
	// AllowOrigin (IMGPROXY_ALLOW_ORIGIN): CORS origin on GET/HEAD/OPTIONS; empty = no CORS headers.
	AllowOrigin string

	// TTL (IMGPROXY_TTL): max-age of successful responses; 0 → "no-cache".
	TTL time.Duration
	// CacheControlPassthrough (IMGPROXY_CACHE_CONTROL_PASSTHROUGH): reuse the
	// origin's Cache-Control (or Expires) instead of TTL.
	CacheControlPassthrough bool
	// UseETag (IMGPROXY_USE_ETAG): pass the origin ETag, forward If-None-Match.
	UseETag bool
	// ETagBuster (IMGPROXY_ETAG_BUSTER): wraps ETags as "<buster>/<b64(origin)>".
	ETagBuster string
	// UseLastModified (IMGPROXY_USE_LAST_MODIFIED): pass Last-Modified, forward If-Modified-Since.
	UseLastModified bool
	// LastModifiedBuster (IMGPROXY_LAST_MODIFIED_BUSTER): Last-Modified is never older. Zero = off.
	LastModifiedBuster time.Time
	// SetCanonicalHeader (IMGPROXY_SET_CANONICAL_HEADER): Link rel=canonical for http(s) sources.
	SetCanonicalHeader bool
	// EnableDebugHeaders (IMGPROXY_ENABLE_DEBUG_HEADERS): X-Origin-*/X-Result-* headers.
	EnableDebugHeaders bool
	// DevelopmentErrorsMode (IMGPROXY_DEVELOPMENT_ERRORS_MODE): detailed error bodies.
	DevelopmentErrorsMode bool

	// AutoWebP/AVIF/JXL (IMGPROXY_AUTO_*) and EnforceWebP/AVIF/JXL
	// (IMGPROXY_ENFORCE_*) drive format negotiation from Accept.
	AutoWebP, AutoAVIF, AutoJXL          bool
	EnforceWebP, EnforceAVIF, EnforceJXL bool
	// PreferredFormats (IMGPROXY_PREFERRED_FORMATS); nil = the default
	// list of options.ChooseFormat (options.DefaultPreferredFormats).
	PreferredFormats []options.Format

	// FallbackImage (IMGPROXY_FALLBACK_IMAGE_DATA/PATH/URL, loaded by main):
	// bytes processed instead of the source when the fetch stage fails. Nil = off.
	FallbackImage []byte
	// FallbackImageHTTPCode (IMGPROXY_FALLBACK_IMAGE_HTTP_CODE): status of
	// fallback responses; 0 = the original error's status. Default 200.
	FallbackImageHTTPCode int
	// FallbackImageTTL (IMGPROXY_FALLBACK_IMAGE_TTL): max-age of fallback responses; 0 = TTL.
	FallbackImageTTL time.Duration
	// FallbackImagesCacheSize (IMGPROXY_FALLBACK_IMAGES_CACHE_SIZE): how
	// many fallback_image_url images stay in memory; 0 = fetch each time.
	FallbackImagesCacheSize int
	// WatermarksCacheSize (IMGPROXY_WATERMARKS_CACHE_SIZE): how many
	// watermark_url images stay in memory as fetched (vips keeps them
	// decoded too); 0 = fetch each time.
	WatermarksCacheSize int
	// CacheTagsFormat (IMGPROXY_CACHE_TAGS_FORMAT): the headers carrying
	// the cache_tags option: CacheTagsAll (default), CacheTagsCloudflare
	// (Cache-Tag), CacheTagsCloudFront (X-Amz-Meta-Cache-Tag) or
	// CacheTagsNone.
	CacheTagsFormat string

	// ReportDownloadingErrors (IMGPROXY_REPORT_DOWNLOADING_ERRORS, default
	// true): with an error reporter, source failures answered with 502 or
	// 504 are reported too, not only internal errors.
	ReportDownloadingErrors bool

	// Coalesce (IMGEDGE_COALESCE, default true): identical in-flight requests
	// (same source, options, negotiation and validators) share one fetch+process.
	Coalesce bool

	// DrainDelay (IMGEDGE_DRAIN_DELAY) is how long Shutdown keeps
	// accepting requests with /health answering 503 before it closes the
	// listener, so that load balancers notice and stop sending. 0 = close
	// at once. It counts against the graceful stop timeout
	// (IMGPROXY_GRACEFUL_STOP_TIMEOUT) given to Shutdown.
	DrainDelay time.Duration

	// ServerName is the Server header; "" = "imgproxy" (docs/cdn.md:
	// drop-in compatibility wins over branding). No variable sets it.
	ServerName string
}

// DefaultConfig returns the defaults of docs/config.md. The configuration
// table in package main is their source; TestConfigDefaultsMatchPackages
// keeps this function equal to it, so tests run with production settings.
func DefaultConfig() Config {
	return Config{
		ReadRequestTimeout:      10 * time.Second,
		WriteResponseTimeout:    10 * time.Second,
		KeepAliveTimeout:        10 * time.Second,
		RequestTimeout:          10 * time.Second,
		MaxClients:              2048,
		TTL:                     31536000 * time.Second,
		UseETag:                 true,
		UseLastModified:         true,
		PreferredFormats:        options.DefaultPreferredFormats(),
		FallbackImageHTTPCode:   200,
		FallbackImagesCacheSize: 256,
		WatermarksCacheSize:     256,
		CacheTagsFormat:         CacheTagsAll,
		Coalesce:                true,
		ReportDownloadingErrors: true,
		DrainDelay:              3 * time.Second,
	}
}

// Validate checks the values; errors are *options.ConfigError naming the
// variable.
func (c *Config) Validate() error {
	if c.HealthCheckPath != "" && !strings.HasPrefix(c.HealthCheckPath, "/") {
		return options.ConfigErrorf("IMGPROXY_HEALTH_CHECK_PATH", "%q must start with \"/\"", c.HealthCheckPath)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		pos  bool
	}{
		{"IMGPROXY_READ_REQUEST_TIMEOUT", c.ReadRequestTimeout, true},
		{"IMGPROXY_WRITE_RESPONSE_TIMEOUT", c.WriteResponseTimeout, true},
		{"IMGPROXY_KEEP_ALIVE_TIMEOUT", c.KeepAliveTimeout, false},
		{"IMGPROXY_TIMEOUT", c.RequestTimeout, true},
		{"IMGPROXY_TTL", c.TTL, false},
		{"IMGPROXY_FALLBACK_IMAGE_TTL", c.FallbackImageTTL, false},
		{"IMGEDGE_DRAIN_DELAY", c.DrainDelay, false},
	} {
		if d.v < 0 || (d.pos && d.v == 0) {
			return options.ConfigErrorf(d.name, "%v must be positive", d.v)
		}
	}
	if c.MaxClients < 0 {
		return options.ConfigErrorf("IMGPROXY_MAX_CLIENTS", "%d must not be negative", c.MaxClients)
	}
	if c.FallbackImageHTTPCode != 0 && (c.FallbackImageHTTPCode < 100 || c.FallbackImageHTTPCode > 599) {
		return options.ConfigErrorf("IMGPROXY_FALLBACK_IMAGE_HTTP_CODE", "%d is not an HTTP status", c.FallbackImageHTTPCode)
	}
	switch c.CacheTagsFormat {
	case "", CacheTagsAll, CacheTagsCloudflare, CacheTagsCloudFront, CacheTagsNone:
	default:
		return options.ConfigErrorf("IMGPROXY_CACHE_TAGS_FORMAT", "%q: want all, cloudflare, cloudfront or none", c.CacheTagsFormat)
	}
	if c.FallbackImagesCacheSize < 0 {
		return options.ConfigErrorf("IMGPROXY_FALLBACK_IMAGES_CACHE_SIZE", "%d must not be negative", c.FallbackImagesCacheSize)
	}
	if c.WatermarksCacheSize < 0 {
		return options.ConfigErrorf("IMGPROXY_WATERMARKS_CACHE_SIZE", "%d must not be negative", c.WatermarksCacheSize)
	}
	if strings.ContainsAny(c.ETagBuster, "\"\r\n") {
		return options.ConfigErrorf("IMGPROXY_ETAG_BUSTER", "%q must not contain quotes or newlines", c.ETagBuster)
	}
	if strings.ContainsAny(c.AllowOrigin, "\r\n") {
		return options.ConfigErrorf("IMGPROXY_ALLOW_ORIGIN", "%q must not contain newlines", c.AllowOrigin)
	}
	for _, f := range c.PreferredFormats {
		if f == options.FormatUnknown || int(f) >= options.NumFormats {
			return options.ConfigErrorf("IMGPROXY_PREFERRED_FORMATS", "unknown format %d", f)
		}
	}
	return nil
}
