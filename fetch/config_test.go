package fetch

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultConfig: got %v; want nil", err)
	}
	if ok.AllowPrivate || ok.AllowLoopback || ok.AllowLinkLocal {
		t.Fatal("DefaultConfig opens an address class; want all closed")
	}
	f := func(mutate func(*Config), wantVar string) {
		t.Helper()
		c := DefaultConfig()
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), wantVar) {
			t.Fatalf("got %v; want an error naming %s", err, wantVar)
		}
		if _, err := New(c); err == nil {
			t.Fatal("New accepted an invalid config")
		}
	}
	f(func(c *Config) { c.DownloadTimeout = 0 }, "IMGPROXY_DOWNLOAD_TIMEOUT")
	f(func(c *Config) { c.ClientKeepAliveTimeout = -time.Second }, "IMGPROXY_CLIENT_KEEP_ALIVE_TIMEOUT")
	f(func(c *Config) { c.MaxRedirects = -1 }, "IMGPROXY_MAX_REDIRECTS")
	f(func(c *Config) { c.UserAgent = "a\r\nX-Evil: 1" }, "IMGPROXY_USER_AGENT")
	f(func(c *Config) { c.Header = http.Header{"Bad Name": {"x"}} }, "header")
	f(func(c *Config) { c.Header = http.Header{"X-Ok": {"a\nb"}} }, "header")
	f(func(c *Config) { c.SourceCacheSize = -1 }, "IMGEDGE_SOURCE_CACHE_SIZE")
	f(func(c *Config) { c.SourceCacheSize = 1; c.SourceCacheTTL = 0 }, "IMGEDGE_SOURCE_CACHE_SIZE")
	f(func(c *Config) { c.UseS3 = true; c.S3Endpoint = "minio:9000" }, "IMGPROXY_S3_ENDPOINT")
	f(func(c *Config) { c.UseGCS = true; c.GCSEndpoint = "ftp://x" }, "IMGPROXY_GCS_ENDPOINT")
	f(func(c *Config) { c.UseABS = true }, "IMGPROXY_ABS_NAME")
	f(func(c *Config) { c.UseABS = true; c.ABSEndpoint = "http://x/acc"; c.ABSKey = "k" }, "IMGPROXY_ABS_NAME")
	f(func(c *Config) { c.S3AssumeRoleExternalID = "x" }, "IMGPROXY_S3_ASSUME_ROLE_ARN")
	f(func(c *Config) { c.UseSwift = true }, "IMGPROXY_SWIFT_AUTH_URL")
	f(func(c *Config) { c.UseSwift = true; c.SwiftAuthURL = "http://k/v3"; c.SwiftAuthVersion = 4 }, "IMGPROXY_SWIFT_AUTH_VERSION")
	f(func(c *Config) { c.UseSwift = true; c.SwiftAuthURL = "http://k/v3"; c.SwiftTimeout = 0 }, "IMGPROXY_SWIFT_TIMEOUT_SECONDS")
	f(func(c *Config) { c.CookieBaseURL = "example.com/images" }, "IMGPROXY_COOKIE_BASE_URL")
	f(func(c *Config) { c.CookieBaseURL = "http://" }, "IMGPROXY_COOKIE_BASE_URL")
	// A missing root is found by New, not Validate.
	c := DefaultConfig()
	c.LocalRoot = "/nonexistent/imgedge-root"
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "IMGPROXY_LOCAL_FILESYSTEM_ROOT") {
		t.Fatalf("missing root: got %v; want an error naming IMGPROXY_LOCAL_FILESYSTEM_ROOT", err)
	}
}

func FuzzParseObjectRef(f *testing.F) {
	for _, s := range []string{"bucket/key", "b/dir/k%20x.png?v1", "b/k?versionId=a%2Fb", "b", "/k", "b/%zz", "b/k??"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		ref, err := parseObjectRef(rest, "?", "versionId")
		if err != nil {
			if options.KindOf(err) == options.KindUnexpected {
				t.Fatalf("%q: unclassified error %v", rest, err)
			}
			return
		}
		if ref.bucket == "" || ref.key == "" || strings.Contains(ref.bucket, "/") {
			t.Fatalf("%q: got %+v; want a bucket without / and a key", rest, ref)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1})
	f.Add([]byte{0x20, 0x02, 0x7f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		c := classify(a)
		// Every IPv4 address is judged the same in its mapped and NAT64 forms.
		if a.Is4() {
			v4 := a.As4()
			mapped := netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
			nat64 := netip.AddrFrom16([16]byte{0: 0, 1: 0x64, 2: 0xff, 3: 0x9b, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
			if got := classify(mapped); got != c {
				t.Fatalf("%s mapped: got %s; want %s", a, got, c)
			}
			if got := classify(nat64); got < c {
				t.Fatalf("%s NAT64: got %s; want at least %s", a, got, c)
			}
		}
	})
}

func FuzzNotModified(f *testing.F) {
	f.Add(`"a", W/"b"`, `"b"`, "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, inm, etag, ims, lm string) {
		cond := &options.Conditional{IfNoneMatch: inm, IfModifiedSince: ims}
		_ = notModified(cond, etag, lm)
		if inm != "" && etag == "" && notModified(cond, etag, lm) {
			t.Fatalf("not modified without an ETag for If-None-Match %q", inm)
		}
	})
}
