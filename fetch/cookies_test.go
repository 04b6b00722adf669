package fetch

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestForwardedCookies(t *testing.T) {
	const jar = "session=abc; theme=dark"
	for _, c := range []struct {
		header, base, source string
		all                  bool
		want                 string
	}{
		// Scope: host-only cookies of base, default path of base.
		{jar, "http://example.com/", "http://example.com/img.png", false, jar},
		{jar, "http://example.com", "http://example.com/a/b.png", false, jar},
		{jar, "http://example.com/", "https://example.com:8443/img.png", false, jar}, // scheme and port do not count
		{jar, "https://EXAMPLE.com/", "http://example.com/img.png", false, jar},
		{jar, "http://example.com/", "http://other.com/img.png", false, ""},
		{jar, "http://example.com/", "http://img.example.com/img.png", false, ""}, // host-only: no subdomains
		{jar, "http://img.example.com/", "http://example.com/img.png", false, ""},
		{jar, "http://example.com/app/page", "http://example.com/app/x.png", false, jar},
		{jar, "http://example.com/app/page", "http://example.com/app", false, jar},
		{jar, "http://example.com/app/page", "http://example.com/application/x.png", false, ""},
		{jar, "http://example.com/app/page", "http://example.com/x.png", false, ""},
		{jar, "http://127.0.0.1:8080/", "http://127.0.0.1:9000/img.png", false, jar},
		{jar, "http://example.com/", "s3://bucket/img.png", false, ""},
		{jar, "ftp://example.com/", "http://example.com/img.png", false, ""},
		// All: any http(s) source, never another scheme.
		{jar, "", "http://anywhere.test/img.png", true, jar},
		{jar, "http://example.com/", "https://other.test/img.png", true, jar},
		{jar, "", "gs://bucket/img.png", true, ""},
		// Malformed parts are skipped; nothing left = no header.
		{"a=1; bad cookie; b=2", "", "http://x.test/", true, "a=1; b=2"},
		{"bad cookie", "", "http://x.test/", true, ""},
		{"flag", "", "http://x.test/", true, "flag="}, // a bare name is an empty cookie (net/http)
		{"", "http://example.com/", "http://example.com/", false, ""},
	} {
		var base *url.URL
		if c.base != "" {
			base = mustURL(t, c.base)
		}
		got := ForwardedCookies(c.header, base, mustURL(t, c.source), c.all)
		if got != c.want {
			t.Errorf("ForwardedCookies(%q, %q, %q, all=%v): got %q; want %q", c.header, c.base, c.source, c.all, got, c.want)
		}
	}
	// No base and not all: nothing is forwarded.
	if got := ForwardedCookies(jar, nil, mustURL(t, "http://example.com/"), false); got != "" {
		t.Errorf("nil base: got %q; want none", got)
	}
}

func TestCookieBase(t *testing.T) {
	configured := mustURL(t, "https://img.example.com/base/")
	for _, c := range []struct {
		cfg  *url.URL
		in   *options.ClientCookies
		want string
	}{
		{configured, &options.ClientCookies{Host: "other.test"}, "https://img.example.com/base/"},
		{nil, &options.ClientCookies{Host: "a.test:8080"}, "http://a.test:8080"},
		{nil, &options.ClientCookies{Host: "a.test", ForwardedProto: "HTTPS", ForwardedHost: "b.test", ForwardedPort: "8443"}, "https://b.test:8443"},
		{nil, &options.ClientCookies{ForwardedProto: "https"}, ""},
		{nil, nil, ""},
	} {
		got := CookieBase(c.cfg, c.in)
		if (got == nil && c.want != "") || (got != nil && got.String() != c.want) {
			t.Errorf("CookieBase(%v, %+v): got %v; want %q", c.cfg, c.in, got, c.want)
		}
	}
}

// TestCookiePassthroughHTTP fetches from a loopback origin with client
// cookies in the context and checks what the origin receives, and that the
// source cache keys on the forwarded cookies.
func TestCookiePassthroughHTTP(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv, hits := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Cookie"))
		mu.Unlock()
		w.Write([]byte("image"))
	})
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		return seen[len(seen)-1]
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	client := func(cookie, host string) context.Context {
		return options.WithClientCookies(context.Background(), &options.ClientCookies{Cookie: cookie, Host: host})
	}

	off := newLoopbackFetcher(t, nil)
	mustFetch(t, off, client("a=1", host), srv.URL+"/x.png", nil, nil)
	if got := last(); got != "" {
		t.Fatalf("passthrough off: origin got Cookie %q; want none", got)
	}

	on := newLoopbackFetcher(t, func(c *Config) {
		c.CookiePassthrough = true
		c.SourceCacheSize = 1 << 20
	})
	mustFetch(t, on, client("a=1; b=2", host), srv.URL+"/x.png", nil, nil)
	if got := last(); got != "a=1; b=2" {
		t.Fatalf("in scope: origin got Cookie %q; want %q", got, "a=1; b=2")
	}
	// Another host addressed by the client: out of scope.
	mustFetch(t, on, client("a=1", "cdn.example.com"), srv.URL+"/y.png", nil, nil)
	if got := last(); got != "" {
		t.Fatalf("out of scope: origin got Cookie %q; want none", got)
	}
	// Source cache: the same URL with other cookies is fetched again; with
	// the same cookies it is served from the cache.
	n := hits.Load()
	mustFetch(t, on, client("a=2", host), srv.URL+"/x.png", nil, nil)
	if hits.Load() != n+1 || last() != "a=2" {
		t.Fatalf("other cookies: got %d origin requests with Cookie %q; want 1 with %q", hits.Load()-n, last(), "a=2")
	}
	mustFetch(t, on, client("a=2", host), srv.URL+"/x.png", nil, nil)
	mustFetch(t, on, client("a=1; b=2", host), srv.URL+"/x.png", nil, nil)
	if hits.Load() != n+1 {
		t.Fatalf("same cookies again: got %d origin requests; want the cached sources", hits.Load()-n-1)
	}

	// Raw streaming forwards them too.
	var resp options.StreamResponse
	rc, err := on.Stream(client("s=3", host), srv.URL+"/z.png", nil, &resp)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if got := last(); got != "s=3" {
		t.Fatalf("stream: origin got Cookie %q; want %q", got, "s=3")
	}

	all := newLoopbackFetcher(t, func(c *Config) { c.CookiePassthrough, c.CookiePassthroughAll = true, true })
	mustFetch(t, all, client("a=1", "cdn.example.com"), srv.URL+"/x.png", nil, nil)
	if got := last(); got != "a=1" {
		t.Fatalf("passthrough all: origin got Cookie %q; want %q", got, "a=1")
	}

	based := newLoopbackFetcher(t, func(c *Config) {
		c.CookiePassthrough = true
		c.CookieBaseURL = srv.URL + "/images/"
	})
	mustFetch(t, based, client("a=1", "cdn.example.com"), srv.URL+"/images/x.png", nil, nil)
	if got := last(); got != "a=1" {
		t.Fatalf("base URL: origin got Cookie %q; want %q", got, "a=1")
	}
	mustFetch(t, based, client("a=1", "cdn.example.com"), srv.URL+"/other/x.png", nil, nil)
	if got := last(); got != "" {
		t.Fatalf("outside the base path: origin got Cookie %q; want none", got)
	}
}

// FuzzForwardedCookies: any Cookie header and source URL give, without a
// panic, a header whose cookies all came from the input, never more
// than "all" forwards, and nothing for a source on another host.
func FuzzForwardedCookies(f *testing.F) {
	f.Add("a=1; b=2", "http://example.com/img.png")
	f.Add("bad cookie; x=\"q\"; =v; y", "https://example.com:8443/a/b")
	f.Add("s=\x00\xff; t=%zz", "http://other.test/")
	base := &url.URL{Scheme: "http", Host: "example.com", Path: "/"}
	f.Fuzz(func(t *testing.T, header, source string) {
		u, err := url.Parse(source)
		if err != nil {
			return
		}
		all := ForwardedCookies(header, nil, u, true)
		scoped := ForwardedCookies(header, base, u, false)
		in := map[string]bool{}
		for _, c := range (&http.Request{Header: http.Header{"Cookie": {all}}}).Cookies() {
			in[c.Name+"="+c.Value] = true
		}
		for _, c := range (&http.Request{Header: http.Header{"Cookie": {scoped}}}).Cookies() {
			if !in[c.Name+"="+c.Value] {
				t.Fatalf("scoped cookie %s=%s is not among the client's (%q)", c.Name, c.Value, all)
			}
		}
		if scoped != "" && !strings.EqualFold(u.Hostname(), "example.com") {
			t.Fatalf("cookies %q forwarded to %q, another host than the base", scoped, source)
		}
	})
}
