// Package fetch brings source images to the workers: HTTP(S) origins
// (with dial-time SSRF protection), local files confined to a root, S3,
// Google Cloud Storage, Azure Blob Storage and OpenStack Swift. It is the
// main attack surface of the server, because whoever writes a request
// chooses the source URL.
//
// Errors are always *options.Error; fetch never imports edge or vips and
// builds with CGO_ENABLED=0.
package fetch

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imgedge/imgedge/options"
)

// Version replaces "%current_version" in Config.UserAgent. main may set it
// (for example with -ldflags "-X github.com/imgedge/imgedge/fetch.Version=...")
// before calling New; it is read once by New.
var Version = "dev"

// DefaultUserAgent is the default of IMGPROXY_USER_AGENT.
const DefaultUserAgent = "imgproxy/%current_version"

// Config configures a Fetcher. Start from DefaultConfig: the zero value is
// not usable (DownloadTimeout 0 is rejected). Only main reads the IMGPROXY_*
// variables; the comments name the variable behind each field.
type Config struct {
	// DownloadTimeout bounds one source fetch, from dial to the last body
	// byte (IMGPROXY_DOWNLOAD_TIMEOUT, default 5 s). Expiry → KindDownloadTimeout.
	DownloadTimeout time.Duration
	// ClientKeepAliveTimeout is how long idle origin connections stay pooled
	// (IMGPROXY_CLIENT_KEEP_ALIVE_TIMEOUT, default 90 s); 0 disables keep-alive.
	ClientKeepAliveTimeout time.Duration
	// UserAgent for HTTP sources; "%current_version" is replaced by Version
	// (IMGPROXY_USER_AGENT).
	UserAgent string
	// MaxRedirects followed per fetch (IMGPROXY_MAX_REDIRECTS, default 10);
	// 0 follows none. Exceeded → KindUnreachable.
	MaxRedirects int
	// IgnoreSSLVerification skips TLS certificate checks of HTTPS sources
	// (IMGPROXY_IGNORE_SSL_VERIFICATION; development only).
	IgnoreSSLVerification bool
	// Header is added to every HTTP source request (no IMGPROXY_ variable in
	// the OSS edition; main may leave it empty). Host, User-Agent and the
	// conditional headers set by fetch win over it.
	Header http.Header

	// WrapTransport, when set, wraps the transport of HTTP source requests
	// (main installs trace-context propagation, monitoring.Transport). The
	// wrapper sees each request, with the context passed to Fetch or
	// Stream, after the address checks are set up; it must not change the
	// URL. nil = the plain transport.
	WrapTransport func(http.RoundTripper) http.RoundTripper

	// AllowLoopback opens 127.0.0.0/8, ::1 and the unspecified addresses
	// 0.0.0.0/8, :: (IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES, default false).
	AllowLoopback bool
	// AllowLinkLocal opens 169.254.0.0/16 (incl. the cloud metadata address
	// 169.254.169.254), fe80::/10, 224.0.0.0/24, ff02::/16
	// (IMGPROXY_ALLOW_LINK_LOCAL_SOURCE_ADDRESSES, default false).
	AllowLinkLocal bool
	// AllowPrivate opens 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT),
	// fc00::/7 and fec0::/10 (IMGPROXY_ALLOW_PRIVATE_SOURCE_ADDRESSES).
	// Default FALSE: stricter than imgproxy, whose default is true.
	AllowPrivate bool

	// LocalRoot enables local:/// sources served from this directory
	// (IMGPROXY_LOCAL_FILESYSTEM_ROOT); empty disables them.
	LocalRoot string
	// SourceURLQuerySeparator splits the object name of non-HTTP sources from
	// their "query" (S3 versionId, GCS generation)
	// (IMGPROXY_SOURCE_URL_QUERY_SEPARATOR, default "?"); empty disables it.
	SourceURLQuerySeparator string

	// UseS3 enables s3://bucket/key[?versionId] (IMGPROXY_USE_S3).
	UseS3 bool
	// S3Region is the initial region (IMGPROXY_S3_REGION); empty = the SDK's
	// AWS_REGION, else "us-west-1".
	S3Region string
	// S3Endpoint is a custom endpoint such as MinIO (IMGPROXY_S3_ENDPOINT);
	// "http://" disables TLS.
	S3Endpoint string
	// S3EndpointUsePathStyle: endpoint/bucket instead of bucket.endpoint
	// (IMGPROXY_S3_ENDPOINT_USE_PATH_STYLE, default true).
	S3EndpointUsePathStyle bool
	// S3AllowedBuckets / S3DeniedBuckets (IMGPROXY_S3_ALLOWED_BUCKETS,
	// IMGPROXY_S3_DENIED_BUCKETS): a bucket must be in the allowed list (when
	// non-empty) and not in the denied list, else KindUnreachable (404).
	S3AllowedBuckets, S3DeniedBuckets []string
	// S3AssumeRoleARN, when set, is a role assumed through STS with the
	// standard credential chain; S3 requests use the role's credentials,
	// cached until they expire (IMGPROXY_S3_ASSUME_ROLE_ARN,
	// IMGPROXY_S3_ASSUME_ROLE_EXTERNAL_ID).
	S3AssumeRoleARN, S3AssumeRoleExternalID string
	// S3UseDecryptionClient reads objects through the Amazon S3 Encryption
	// Client, decrypting client-side-encrypted objects with KMS
	// (IMGPROXY_S3_USE_DECRYPTION_CLIENT). Every object must then be
	// encrypted.
	S3UseDecryptionClient bool

	// UseGCS enables gs://bucket/key[?generation] (IMGPROXY_USE_GCS).
	UseGCS bool
	// GCSKey is a service-account JSON key (IMGPROXY_GCS_KEY); empty = the
	// ambient Google credentials, or none when GCSEndpoint is set.
	GCSKey string
	// GCSEndpoint is a custom endpoint such as fake-gcs-server
	// (IMGPROXY_GCS_ENDPOINT), e.g. "http://127.0.0.1:4443/storage/v1/".
	GCSEndpoint string
	// GCSAllowedBuckets / GCSDeniedBuckets (IMGPROXY_GCS_ALLOWED_BUCKETS,
	// IMGPROXY_GCS_DENIED_BUCKETS), same rule as for S3.
	GCSAllowedBuckets, GCSDeniedBuckets []string

	// UseABS enables abs://container/blob (IMGPROXY_USE_ABS).
	UseABS bool
	// ABSName and ABSKey are the storage account name and key
	// (IMGPROXY_ABS_NAME, IMGPROXY_ABS_KEY). Without a key the Azure default
	// credential chain (environment, workload or managed identity) is used.
	ABSName, ABSKey string
	// ABSEndpoint is a custom service URL such as Azurite's
	// "http://127.0.0.1:10000/devstoreaccount1" (IMGPROXY_ABS_ENDPOINT);
	// empty = https://<ABSName>.blob.core.windows.net/.
	ABSEndpoint string
	// ABSAllowedContainers / ABSDeniedContainers (IMGPROXY_ABS_ALLOWED_BUCKETS,
	// IMGPROXY_ABS_DENIED_BUCKETS), same rule as for S3.
	ABSAllowedContainers, ABSDeniedContainers []string

	// UseSwift enables swift://container/object from OpenStack Swift
	// (IMGPROXY_USE_SWIFT). New authenticates once and fails when that fails.
	UseSwift bool
	// SwiftUsername, SwiftAPIKey and SwiftAuthURL are the credentials and
	// the Keystone (or v1 auth) URL (IMGPROXY_SWIFT_USERNAME,
	// IMGPROXY_SWIFT_API_KEY, IMGPROXY_SWIFT_AUTH_URL).
	SwiftUsername, SwiftAPIKey, SwiftAuthURL string
	// SwiftDomain (v3 auth) and SwiftTenant (v2/v3 auth)
	// (IMGPROXY_SWIFT_DOMAIN, IMGPROXY_SWIFT_TENANT).
	SwiftDomain, SwiftTenant string
	// SwiftAuthVersion is 1, 2 or 3; 0 = detected from the URL
	// (IMGPROXY_SWIFT_AUTH_VERSION).
	SwiftAuthVersion int
	// SwiftConnectTimeout and SwiftTimeout bound connecting and each read
	// (IMGPROXY_SWIFT_CONNECT_TIMEOUT_SECONDS, default 10 s;
	// IMGPROXY_SWIFT_TIMEOUT_SECONDS, default 60 s); the download is still
	// bounded by DownloadTimeout.
	SwiftConnectTimeout, SwiftTimeout time.Duration
	// SwiftAllowedContainers / SwiftDeniedContainers
	// (IMGPROXY_SWIFT_ALLOWED_BUCKETS, IMGPROXY_SWIFT_DENIED_BUCKETS), same
	// rule as for S3.
	SwiftAllowedContainers, SwiftDeniedContainers []string

	// CookiePassthrough forwards the client's cookies to http(s) sources
	// where their assumed scope covers the source URL
	// (IMGPROXY_COOKIE_PASSTHROUGH, default false; see ForwardedCookies).
	// The client cookies reach Fetch and Stream through
	// options.WithClientCookies.
	CookiePassthrough bool
	// CookiePassthroughAll forwards every client cookie to every http(s)
	// source (IMGPROXY_COOKIE_PASSTHROUGH_ALL); only with CookiePassthrough.
	CookiePassthroughAll bool
	// CookieBaseURL is the URL the client's cookies are assumed to be set
	// for (IMGPROXY_COOKIE_BASE_URL); empty = the URL the client addressed
	// (X-Forwarded-Proto/Host/Port or Host).
	CookieBaseURL string

	// SourceCacheSize bounds the in-memory source cache in bytes
	// (IMGEDGE_SOURCE_CACHE_SIZE); 0 = off (default).
	SourceCacheSize int64
	// SourceCacheTTL is how long a cached source is served without asking
	// the origin again (default 10 s). Used only when SourceCacheSize > 0.
	SourceCacheTTL time.Duration
}

// DefaultConfig returns the defaults of docs/config.md. The configuration
// table in package main is their source; TestConfigDefaultsMatchPackages
// keeps this function equal to it.
func DefaultConfig() Config {
	return Config{
		DownloadTimeout:         5 * time.Second,
		ClientKeepAliveTimeout:  90 * time.Second,
		UserAgent:               DefaultUserAgent,
		MaxRedirects:            10,
		SourceURLQuerySeparator: "?",
		S3EndpointUsePathStyle:  true,
		SourceCacheTTL:          10 * time.Second,
		SwiftConnectTimeout:     swiftDefaultConnectTimeout,
		SwiftTimeout:            swiftDefaultTimeout,
	}
}

// Validate checks c and names the IMGPROXY_* variable behind a bad value.
func (c *Config) Validate() error {
	if c.DownloadTimeout <= 0 {
		return options.ConfigErrorf("IMGPROXY_DOWNLOAD_TIMEOUT", "must be > 0; got %s", c.DownloadTimeout)
	}
	if c.ClientKeepAliveTimeout < 0 {
		return options.ConfigErrorf("IMGPROXY_CLIENT_KEEP_ALIVE_TIMEOUT", "must be >= 0; got %s", c.ClientKeepAliveTimeout)
	}
	if c.MaxRedirects < 0 {
		return options.ConfigErrorf("IMGPROXY_MAX_REDIRECTS", "must be >= 0; got %d", c.MaxRedirects)
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		return options.ConfigErrorf("IMGPROXY_USER_AGENT", "must not contain line breaks; got %q", c.UserAgent)
	}
	for k, vs := range c.Header {
		if !validHeaderName(k) {
			return options.ConfigErrorf("fetch.Config.Header", "invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return options.ConfigErrorf("fetch.Config.Header", "invalid value of header %q: %q", k, v)
			}
		}
	}
	if c.SourceCacheSize < 0 {
		return options.ConfigErrorf("IMGEDGE_SOURCE_CACHE_SIZE", "must be >= 0; got %d", c.SourceCacheSize)
	}
	if c.SourceCacheSize > 0 && c.SourceCacheTTL <= 0 {
		return options.ConfigErrorf("fetch.Config.SourceCacheTTL", "must be > 0 when IMGEDGE_SOURCE_CACHE_SIZE is set; got %s", c.SourceCacheTTL)
	}
	if c.CookieBaseURL != "" {
		if u, err := url.Parse(c.CookieBaseURL); err != nil || !hasHTTPScheme(c.CookieBaseURL) || u.Host == "" {
			return options.ConfigErrorf("IMGPROXY_COOKIE_BASE_URL", "must be an absolute http:// or https:// URL; got %q", c.CookieBaseURL)
		}
	}
	if c.UseS3 && c.S3Endpoint != "" && !hasHTTPScheme(c.S3Endpoint) {
		return options.ConfigErrorf("IMGPROXY_S3_ENDPOINT", "must start with http:// or https://; got %q", c.S3Endpoint)
	}
	if c.S3AssumeRoleExternalID != "" && c.S3AssumeRoleARN == "" {
		return options.ConfigErrorf("IMGPROXY_S3_ASSUME_ROLE_ARN", "must be set when IMGPROXY_S3_ASSUME_ROLE_EXTERNAL_ID is")
	}
	if c.UseGCS && c.GCSEndpoint != "" && !hasHTTPScheme(c.GCSEndpoint) {
		return options.ConfigErrorf("IMGPROXY_GCS_ENDPOINT", "must start with http:// or https://; got %q", c.GCSEndpoint)
	}
	if c.UseSwift {
		if !hasHTTPScheme(c.SwiftAuthURL) {
			return options.ConfigErrorf("IMGPROXY_SWIFT_AUTH_URL", "must be an http:// or https:// URL when IMGPROXY_USE_SWIFT is on; got %q", c.SwiftAuthURL)
		}
		if c.SwiftAuthVersion < 0 || c.SwiftAuthVersion > 3 {
			return options.ConfigErrorf("IMGPROXY_SWIFT_AUTH_VERSION", "must be 0 (detect), 1, 2 or 3; got %d", c.SwiftAuthVersion)
		}
		if c.SwiftConnectTimeout <= 0 {
			return options.ConfigErrorf("IMGPROXY_SWIFT_CONNECT_TIMEOUT_SECONDS", "must be > 0; got %s", c.SwiftConnectTimeout)
		}
		if c.SwiftTimeout <= 0 {
			return options.ConfigErrorf("IMGPROXY_SWIFT_TIMEOUT_SECONDS", "must be > 0; got %s", c.SwiftTimeout)
		}
	}
	if c.UseABS {
		if c.ABSEndpoint != "" && !hasHTTPScheme(c.ABSEndpoint) {
			return options.ConfigErrorf("IMGPROXY_ABS_ENDPOINT", "must start with http:// or https://; got %q", c.ABSEndpoint)
		}
		if c.ABSEndpoint == "" && c.ABSName == "" {
			return options.ConfigErrorf("IMGPROXY_USE_ABS", "is on, so IMGPROXY_ABS_NAME or IMGPROXY_ABS_ENDPOINT must be set")
		}
		if c.ABSKey != "" && c.ABSName == "" {
			return options.ConfigErrorf("IMGPROXY_ABS_NAME", "must be set when IMGPROXY_ABS_KEY is set")
		}
	}
	return nil
}

func hasHTTPScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
