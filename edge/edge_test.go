package edge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
)

const catPath = "/insecure/rs:fit:100:50/plain/http://origin.test/photos/cat.jpg"

func TestConfigValidate(t *testing.T) {
	f := func(name string, mod func(c *Config), wantVar string) {
		t.Helper()
		c := DefaultConfig()
		mod(&c)
		err := c.Validate()
		if wantVar == "" {
			if err != nil {
				t.Errorf("%s: got error %v; want nil", name, err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), wantVar) {
			t.Errorf("%s: got error %v; want one naming %s", name, err, wantVar)
		}
	}
	f("defaults", func(c *Config) {}, "")
	f("negative timeout", func(c *Config) { c.RequestTimeout = -time.Second }, "IMGPROXY_TIMEOUT")
	f("zero read timeout", func(c *Config) { c.ReadRequestTimeout = 0 }, "IMGPROXY_READ_REQUEST_TIMEOUT")
	f("negative ttl", func(c *Config) { c.TTL = -1 }, "IMGPROXY_TTL")
	f("negative max clients", func(c *Config) { c.MaxClients = -1 }, "IMGPROXY_MAX_CLIENTS")
	f("bad fallback code", func(c *Config) { c.FallbackImageHTTPCode = 700 }, "IMGPROXY_FALLBACK_IMAGE_HTTP_CODE")
	f("fallback code 0", func(c *Config) { c.FallbackImageHTTPCode = 0 }, "")
	f("quote in buster", func(c *Config) { c.ETagBuster = `a"b` }, "IMGPROXY_ETAG_BUSTER")
	f("health path", func(c *Config) { c.HealthCheckPath = "healthz" }, "IMGPROXY_HEALTH_CHECK_PATH")
}

func TestRoutesAndCommonHeaders(t *testing.T) {
	cfg := testConfig()
	cfg.AllowOrigin = "https://site.test"
	cfg.HealthCheckPath = "/healthz"
	env := startEnv(t, cfg, envOpts{})

	f := func(method, path string, wantStatus int, wantBody, wantCT string) resp {
		t.Helper()
		r := env.do(method, path)
		if r.status != wantStatus {
			t.Errorf("%s %s: status got %d; want %d", method, path, r.status, wantStatus)
		}
		if wantBody != "*" && r.body != wantBody {
			t.Errorf("%s %s: body got %q; want %q", method, path, r.body, wantBody)
		}
		if got := r.h.Get("Content-Type"); got != wantCT {
			t.Errorf("%s %s: Content-Type got %q; want %q", method, path, got, wantCT)
		}
		wantHeader(t, r, "Server", "imgproxy")
		wantHeader(t, r, "Content-Security-Policy", cspValue)
		wantHeader(t, r, "X-Content-Type-Options", "nosniff")
		if id := r.h.Get("X-Request-ID"); !regexp.MustCompile(`^[A-Za-z0-9_-]{21}$`).MatchString(id) {
			t.Errorf("%s %s: X-Request-ID got %q; want a 21-char id", method, path, id)
		}
		return r
	}
	r := f("GET", "/health", 200, "imgproxy is running", "text/plain")
	wantHeader(t, r, "Cache-Control", "no-cache")
	f("GET", "/healthz", 200, "imgproxy is running", "text/plain")
	r = f("GET", "/", 200, "*", "text/html")
	wantHeader(t, r, "Cache-Control", "max-age=31536000, public")
	r = f("GET", "/favicon.ico", 404, " ", "text/plain")
	wantHeader(t, r, "Cache-Control", "")
	f("GET", "/.well-known/security.txt", 404, " ", "text/plain")
	for _, m := range []string{"HEAD", "OPTIONS"} {
		r := f(m, catPath, 200, map[bool]string{true: "", false: " "}[m == "HEAD"], "text/plain")
		wantHeader(t, r, "Access-Control-Allow-Origin", "https://site.test")
		wantHeader(t, r, "Access-Control-Allow-Methods", "GET, OPTIONS")
		wantHeader(t, r, "Cache-Control", "max-age=31536000, public")
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		f(m, catPath, 404, " ", "text/plain")
	}
	if n := env.origin.fetches.Load(); n != 0 {
		t.Errorf("HEAD/OPTIONS/other methods fetched %d times; want 0", n)
	}
	if m := env.metrics(); strings.Contains(m, `status_codes_total{status="200"} 1`) || !strings.Contains(m, "requests_total 0") {
		t.Errorf("health/HEAD must not be counted; metrics:\n%s", grepLines(m, "requests_total", "status_codes_total"))
	}

	// X-Request-ID: a valid incoming id is echoed, an invalid one replaced.
	r = env.get("/health", "X-Request-ID", "abc_DEF-123")
	wantHeader(t, r, "X-Request-ID", "abc_DEF-123")
	r = env.get("/health", "X-Request-ID", "bad id!")
	if id := r.h.Get("X-Request-ID"); id == "bad id!" || len(id) != 21 {
		t.Errorf("invalid X-Request-ID: got %q; want a fresh 21-char id", id)
	}
}

func TestPathPrefix(t *testing.T) {
	cfg := testConfig()
	env := startEnv(t, cfg, envOpts{parser: options.ParserConfig{PathPrefix: "/img"}})
	if r := env.get("/img/health"); r.status != 200 {
		t.Errorf("/img/health: got %d; want 200", r.status)
	}
	if r := env.get("/health"); r.status != 404 {
		t.Errorf("/health outside the prefix: got %d; want 404", r.status)
	}
	if r := env.get("/img" + catPath); r.status != 200 || !strings.HasSuffix(r.body, "JPEGDATA-cat") {
		t.Errorf("prefixed processing: got %d %q; want 200 with the image", r.status, r.body)
	}
	if r := env.get(catPath); r.status != 404 {
		t.Errorf("unprefixed processing: got %d; want 404", r.status)
	}
}

func TestHealth(t *testing.T) {
	var fail error
	var mu sync.Mutex
	env := startEnv(t, testConfig(), envOpts{health: func() error { mu.Lock(); defer mu.Unlock(); return fail }})
	if r := env.get("/health"); r.status != 200 {
		t.Fatalf("healthy: got %d; want 200", r.status)
	}
	mu.Lock()
	fail = errSentinel
	mu.Unlock()
	r := env.get("/health")
	if r.status != 500 || r.body != "Error" {
		t.Errorf("libvips broken: got %d %q; want 500 \"Error\"", r.status, r.body)
	}
}

func TestSuccessHeaders(t *testing.T) {
	cfg := testConfig()
	cfg.EnableDebugHeaders = true
	cfg.SetCanonicalHeader = true
	cfg.AllowOrigin = "*"
	env := startEnv(t, cfg, envOpts{})

	r := env.get(catPath)
	if r.status != 200 {
		t.Fatalf("status: got %d; want 200 (body %q)", r.status, r.body)
	}
	if want := "jpeg:100x50:JPEGDATA-cat"; r.body != want {
		t.Errorf("body: got %q; want %q", r.body, want)
	}
	wantHeader(t, r, "Content-Type", "image/jpeg")
	wantHeader(t, r, "Content-Length", strconv.Itoa(len(r.body)))
	wantHeader(t, r, "Content-Disposition", `inline; filename="cat.jpg"`)
	wantHeader(t, r, "Cache-Control", "max-age=31536000, public")
	wantHeader(t, r, "Expires", "")
	wantHeader(t, r, "ETag", `"v1"`)
	wantHeader(t, r, "Last-Modified", "Mon, 02 Jan 2023 15:04:05 GMT")
	wantHeader(t, r, "Vary", "")
	wantHeader(t, r, "Link", `<http://origin.test/photos/cat.jpg>; rel="canonical"`)
	wantHeader(t, r, "X-Origin-Content-Length", strconv.Itoa(len("JPEGDATA-cat")))
	wantHeader(t, r, "X-Origin-Width", "640")
	wantHeader(t, r, "X-Origin-Height", "480")
	wantHeader(t, r, "X-Result-Width", "100")
	wantHeader(t, r, "X-Result-Height", "50")
	wantHeader(t, r, "Access-Control-Allow-Origin", "*")
	wantHeader(t, r, "Server", "imgproxy")
	st := r.h.Get("Server-Timing")
	if !regexp.MustCompile(`^queue;dur=[0-9.]+, download;dur=[0-9.]+, processing;dur=[0-9.]+, total;dur=[0-9.]+$`).MatchString(st) {
		t.Errorf("Server-Timing: got %q; want queue, download, processing, total", st)
	}
	env.waitReleased()

	// Filename option, attachment, explicit format, quotes escaped.
	r = env.get(`/insecure/rs:fit:10:10/fn:my%22pic/att:1/plain/http://origin.test/a.png@webp`)
	if r.status != 200 {
		t.Fatalf("fn/att: got %d %q", r.status, r.body)
	}
	wantHeader(t, r, "Content-Type", "image/webp")
	wantHeader(t, r, "Content-Disposition", `attachment; filename="my%22pic.webp"`)

	// Non-http source: no Link; stem from the path.
	r = env.get("/insecure/rs:fit:10:10/plain/local:///dog.jpg")
	wantHeader(t, r, "Link", "")
	wantHeader(t, r, "Content-Disposition", `inline; filename="dog.jpg"`)
	env.waitReleased()
}

func TestURLStem(t *testing.T) {
	f := func(u, want string) {
		t.Helper()
		if got := urlStem(u); got != want {
			t.Errorf("urlStem(%q): got %q; want %q", u, got, want)
		}
	}
	f("http://h.test/a/b/photo.large.jpg?x=1#f", "photo.large")
	f("http://h.test/", "image")
	f("http://h.test", "image")
	f("s3://bucket/dir/key.png", "key")
	f("http://h.test/caf%C3%A9.jpg", "café")
	f("local:///noext", "noext")
}

func TestNegotiationAndVary(t *testing.T) {
	cfg := testConfig()
	cfg.AutoWebP = true
	cfg.AutoAVIF = true
	env := startEnv(t, cfg, envOpts{parser: options.ParserConfig{EnableClientHints: true}})
	const vary = "Accept, Sec-CH-DPR, DPR, Sec-CH-Width, Width"
	f := func(accept, wantCT string) {
		t.Helper()
		r := env.get(catPath, "Accept", accept)
		if r.status != 200 {
			t.Fatalf("Accept %q: got %d", accept, r.status)
		}
		wantHeader(t, r, "Content-Type", wantCT)
		wantHeader(t, r, "Vary", vary)
	}
	f("image/avif,image/webp,*/*", "image/avif")
	f("image/webp,*/*;q=0.8", "image/webp")
	f("image/avif;q=0,image/webp", "image/webp")
	f("*/*", "image/jpeg")
	f("", "image/jpeg")
	// An explicit format wins over AUTO_*.
	r := env.get(catPath+"@png", "Accept", "image/avif")
	wantHeader(t, r, "Content-Type", "image/png")
	// Errors carry no Vary.
	r = env.get("/insecure/rs:fit:10:10/plain/http://origin.test/status404", "Accept", "image/webp")
	wantHeader(t, r, "Vary", "")
	env.waitReleased()
}

func TestNoVaryWithoutNegotiation(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{})
	r := env.get(catPath, "Accept", "image/webp")
	wantHeader(t, r, "Content-Type", "image/jpeg")
	wantHeader(t, r, "Vary", "")
}

func TestConditional304(t *testing.T) {
	cfg := testConfig()
	cfg.AutoWebP = true
	cfg.TTL = time.Hour
	env := startEnv(t, cfg, envOpts{})
	r := env.get(catPath, "If-None-Match", `"v1"`)
	if r.status != 304 || r.body != "" {
		t.Fatalf("If-None-Match match: got %d %q; want 304 with no body", r.status, r.body)
	}
	wantHeader(t, r, "ETag", `"v1"`)
	wantHeader(t, r, "Last-Modified", "Mon, 02 Jan 2023 15:04:05 GMT")
	wantHeader(t, r, "Vary", "Accept")
	wantHeader(t, r, "Cache-Control", "max-age=3600, public")
	if n := env.proc.calls.Load(); n != 0 {
		t.Errorf("304 processed the image %d times; want 0", n)
	}
	r = env.get(catPath, "If-None-Match", `"v0"`)
	if r.status != 200 {
		t.Errorf("stale If-None-Match: got %d; want 200", r.status)
	}
	r = env.get(catPath, "If-Modified-Since", "Mon, 02 Jan 2023 15:04:05 GMT")
	env.origin.mu.Lock()
	got := env.origin.lastCond.IfModifiedSince
	env.origin.mu.Unlock()
	if got != "Mon, 02 Jan 2023 15:04:05 GMT" {
		t.Errorf("If-Modified-Since forwarded: got %q", got)
	}
	env.waitReleased()
}

func TestETagAndLastModifiedBusters(t *testing.T) {
	cfg := testConfig()
	cfg.ETagBuster = "b2"
	cfg.LastModifiedBuster = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	env := startEnv(t, cfg, envOpts{})
	r := env.get(catPath)
	want := `"b2/` + base64.RawURLEncoding.EncodeToString([]byte(`"v1"`)) + `"`
	wantHeader(t, r, "ETag", want)
	wantHeader(t, r, "Last-Modified", "Wed, 01 May 2024 00:00:00 GMT")

	r = env.get(catPath, "If-None-Match", want)
	if r.status != 304 {
		t.Errorf("busted ETag revalidation: got %d; want 304", r.status)
	}
	wantHeader(t, r, "ETag", want)
	// The unbusted origin ETag must not validate (no conditional is sent).
	r = env.get(catPath, "If-None-Match", `"v1"`)
	if r.status != 200 {
		t.Errorf("origin ETag with a buster: got %d; want 200", r.status)
	}
	env.origin.mu.Lock()
	cond := env.origin.lastCond
	env.origin.mu.Unlock()
	if cond != (options.Conditional{}) {
		t.Errorf("forwarded validators: got %+v; want none", cond)
	}
	// If-Modified-Since older than the buster is not forwarded.
	env.get(catPath, "If-Modified-Since", "Mon, 02 Jan 2023 15:04:05 GMT")
	env.origin.mu.Lock()
	cond = env.origin.lastCond
	env.origin.mu.Unlock()
	if cond.IfModifiedSince != "" {
		t.Errorf("If-Modified-Since before the buster forwarded: %q", cond.IfModifiedSince)
	}
	env.waitReleased()
}

func TestCacheControlRules(t *testing.T) {
	t.Run("ttl0", func(t *testing.T) {
		cfg := testConfig()
		cfg.TTL = 0
		env := startEnv(t, cfg, envOpts{})
		wantHeader(t, env.get(catPath), "Cache-Control", "no-cache")
	})
	t.Run("passthrough", func(t *testing.T) {
		cfg := testConfig()
		cfg.CacheControlPassthrough = true
		env := startEnv(t, cfg, envOpts{})
		env.origin.cc = "max-age=60, s-maxage=120"
		wantHeader(t, env.get(catPath), "Cache-Control", "max-age=60, s-maxage=120")
		env.origin.cc = ""
		wantHeader(t, env.get(catPath), "Cache-Control", "max-age=31536000, public")
	})
	t.Run("expires caps ttl", func(t *testing.T) {
		env := startEnv(t, testConfig(), envOpts{})
		exp := time.Now().Add(100 * time.Second).Unix()
		r := env.get(fmt.Sprintf("/insecure/rs:fit:10:10/exp:%d/plain/http://origin.test/photos/cat.jpg", exp))
		cc := r.h.Get("Cache-Control")
		var n int
		if _, err := fmt.Sscanf(cc, "max-age=%d, public", &n); err != nil || n < 95 || n > 100 {
			t.Errorf("Cache-Control with expires in 100 s: got %q; want max-age≈100", cc)
		}
		past := time.Now().Add(-time.Minute).Unix()
		r = env.get(fmt.Sprintf("/insecure/rs:fit:10:10/exp:%d/plain/http://origin.test/photos/cat.jpg", past))
		if r.status != 404 || r.body != "Invalid URL" {
			t.Errorf("expired link: got %d %q; want 404 Invalid URL", r.status, r.body)
		}
	})
}

func TestErrorTable(t *testing.T) {
	cfg := testConfig()
	env := startEnv(t, cfg, envOpts{})
	f := func(path string, wantStatus int, wantBody string) {
		t.Helper()
		r := env.get(path)
		if r.status != wantStatus || r.body != wantBody {
			t.Errorf("%s: got %d %q; want %d %q", path, r.status, r.body, wantStatus, wantBody)
		}
		wantHeader(t, r, "Cache-Control", "")
		wantHeader(t, r, "Content-Type", "text/plain")
		wantHeader(t, r, "ETag", "")
		if r.h.Get("Server-Timing") == "" || r.h.Get("X-Request-ID") == "" {
			t.Errorf("%s: error response lacks Server-Timing or X-Request-ID", path)
		}
	}
	src := func(p string) string { return "/insecure/rs:fit:10:10/plain/http://origin.test/" + p }
	f(src("status404"), 404, "Source is unreachable")
	f(src("status403"), 403, "Source is unreachable")
	f(src("status503"), 502, "Source is unreachable")
	f(src("status204"), 404, "Source is unreachable")
	f(src("unreachable"), 404, "Source is unreachable")
	f(src("dltimeout"), 504, "Source is unreachable")
	f(src("toobig"), 422, "Invalid source image")
	f(src("incomplete"), 422, "Source response is incomplete")
	f(src("notallowed"), 404, "Invalid source URL")
	f("/insecure/rs:fit:13:10/plain/http://origin.test/broken.jpg", 422, "Broken or unsupported image")
	f("/insecure/rs:fit:66:10/plain/http://origin.test/panic.jpg", 500, "Internal error")
	f("/insecure/bogus:1/plain/http://origin.test/a.png", 404, "Invalid URL")
	f("/insecure", 404, "Invalid URL")
	f("/insecure/rs:fit:10:10/plain/http://origin.test/a.png@nope", 404, "Invalid URL")

	m := env.metrics()
	for _, want := range []string{`errors_total{type="download"} 7`, `errors_total{type="image_data_size"} 1`, `errors_total{type="processing"} 1`,
		`errors_total{type="unexpected"} 1`, `errors_total{type="path_parsing"} 3`, `errors_total{type="security"} 1`,
		`status_codes_total{status="502"} 1`, `status_codes_total{status="422"} 3`, `status_codes_total{status="204"}`} {
		if want == `status_codes_total{status="204"}` {
			if strings.Contains(m, want) {
				t.Errorf("metrics: unexpected %s", want)
			}
			continue
		}
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics: missing %q in\n%s", want, grepLines(m, "errors_total", "status_codes_total"))
		}
	}
}

func TestSecurity(t *testing.T) {
	key, salt := []byte("secret-key"), []byte("secret-salt")
	cfg := testConfig()
	cfg.Secret = "s3cr3t"
	env := startEnv(t, cfg, envOpts{keys: [][]byte{key}, salts: [][]byte{salt}})
	path := "/rs:fit:100:50/plain/http://origin.test/photos/cat.jpg"
	good := "/" + sign.Sign(key, salt, []byte(path), 32) + path
	auth := []string{"Authorization", "Bearer s3cr3t"}

	if r := env.get(good, auth...); r.status != 200 {
		t.Errorf("signed + secret: got %d %q; want 200", r.status, r.body)
	}
	if r := env.get(good); r.status != 403 || r.body != "Forbidden" {
		t.Errorf("no secret: got %d %q; want 403 Forbidden", r.status, r.body)
	}
	if r := env.get(good, "Authorization", "Bearer wrong"); r.status != 403 {
		t.Errorf("wrong secret: got %d; want 403", r.status)
	}
	if r := env.get("/insecure"+path, auth...); r.status != 403 || r.body != "Forbidden" {
		t.Errorf("unsigned: got %d %q; want 403 Forbidden", r.status, r.body)
	}
	bad := "/" + sign.Sign([]byte("other"), salt, []byte(path), 32) + path
	if r := env.get(bad, auth...); r.status != 403 {
		t.Errorf("bad signature: got %d; want 403", r.status)
	}
	// The log never carries the signature or the secret.
	logs := env.logs.String()
	for _, secret := range []string{sign.Sign(key, salt, []byte(path), 32), "s3cr3t", "secret-key", "secret-salt"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log leaks %q:\n%s", secret, logs)
		}
	}
	env.waitReleased()
}

func TestDevelopmentErrors(t *testing.T) {
	cfg := testConfig()
	cfg.DevelopmentErrorsMode = true
	env := startEnv(t, cfg, envOpts{})
	path := "/insecure/rs:fit:10:10/plain/http://origin.test/unreachable"
	r := env.get(path)
	wantHeader(t, r, "Content-Type", "text/plain; charset=utf-8")
	if !strings.Contains(r.body, "connection refused") || !strings.HasPrefix(r.body, "Source is unreachable") {
		t.Errorf("dev text body: got %q; want the public message and the detail", r.body)
	}
	r = env.get(path, "Accept", "text/html,*/*")
	wantHeader(t, r, "Content-Type", "text/html; charset=utf-8")
	if !strings.Contains(r.body, "<pre>dial tcp: connection refused</pre>") {
		t.Errorf("dev html body: got %q", r.body)
	}
}

func TestFallbackImage(t *testing.T) {
	cfg := testConfig()
	cfg.FallbackImage = []byte("PNGDATA-fallback")
	cfg.FallbackImageTTL = 30 * time.Second
	env := startEnv(t, cfg, envOpts{})
	r := env.get("/insecure/rs:fit:20:20/plain/http://origin.test/status404")
	if r.status != 200 || r.body != "png:20x20:PNGDATA-fallback" {
		t.Fatalf("fallback: got %d %q; want 200 with the processed fallback", r.status, r.body)
	}
	wantHeader(t, r, fallbackHeader, "1")
	wantHeader(t, r, "Cache-Control", "max-age=30, public")
	wantHeader(t, r, "ETag", "")
	wantHeader(t, r, "Last-Modified", "")
	// Processing errors never get the fallback.
	r = env.get("/insecure/rs:fit:13:10/plain/http://origin.test/broken.jpg")
	if r.status != 422 || r.h.Get(fallbackHeader) != "" {
		t.Errorf("processing error: got %d fallback=%q; want 422 without fallback", r.status, r.h.Get(fallbackHeader))
	}
	if m := env.metrics(); !strings.Contains(m, `errors_total{type="download"} 1`+"\n") {
		t.Errorf("fallback must count a download error:\n%s", grepLines(m, "errors_total"))
	}

	t.Run("code 0 keeps the error status", func(t *testing.T) {
		cfg := testConfig()
		cfg.FallbackImage = []byte("PNGDATA-fallback")
		cfg.FallbackImageHTTPCode = 0
		env := startEnv(t, cfg, envOpts{})
		r := env.get("/insecure/rs:fit:20:20/plain/http://origin.test/status503")
		if r.status != 502 || !strings.HasSuffix(r.body, "fallback") {
			t.Errorf("got %d %q; want 502 with the fallback image", r.status, r.body)
		}
		wantHeader(t, r, "Cache-Control", "max-age=31536000, public")
	})
}

// TestPassthroughOwnership: when the result is the source itself, the
// Output keeps the source until the last response body is written; a
// fallback image (a Source that owns nothing) passes through the same way.
func TestPassthroughOwnership(t *testing.T) {
	cfg := testConfig()
	cfg.FallbackImage = []byte("PASS-fallback")
	env := startEnv(t, cfg, envOpts{workers: 4})
	path := "/insecure/rs:fit:30:30/plain/http://origin.test/pass.png"
	const n = 8
	var wg sync.WaitGroup
	results := make([]resp, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = env.get(path) }()
	}
	wg.Wait()
	for i, r := range results {
		if r.status != 200 || r.body != "PASS-png" {
			t.Errorf("request %d: got %d %q; want the source bytes", i, r.status, r.body)
		}
	}
	env.waitReleased()
	if got := env.origin.served.Load(); got < 1 || got > n {
		t.Errorf("origin served %d fetches for %d requests", got, n)
	}
	r := env.get("/insecure/rs:fit:30:30/plain/http://origin.test/status404")
	if r.status != 200 || r.body != "PASS-fallback" || r.h.Get(fallbackHeader) != "1" {
		t.Errorf("fallback passthrough: got %d %q; want 200 with the fallback bytes", r.status, r.body)
	}
	env.waitReleased()
}

func TestCoalescing(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{workers: 4})
	env.origin.block = make(chan struct{})
	env.origin.started = make(chan struct{}, 16)
	const n = 8
	path := "/insecure/rs:fit:30:30/plain/http://origin.test/block.jpg"
	var wg sync.WaitGroup
	results := make([]resp, n)
	wg.Add(1)
	go func() { defer wg.Done(); results[0] = env.get(path) }()
	<-env.origin.started // the first request is fetching
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); results[i] = env.get(path) }(i)
	}
	// Wait until the others joined the in-flight call.
	deadline := time.Now().Add(5 * time.Second)
	for env.srv.group.Coalesced() < n-1 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	close(env.origin.block)
	wg.Wait()
	for i, r := range results {
		if r.status != 200 || r.body != "jpeg:30x30:JPEGDATA-block" {
			t.Errorf("request %d: got %d %q", i, r.status, r.body)
		}
	}
	if got := env.origin.fetches.Load(); got != 1 {
		t.Errorf("fetches: got %d; want 1", got)
	}
	if got := env.proc.calls.Load(); got != 1 {
		t.Errorf("processings: got %d; want 1", got)
	}
	env.waitReleased()
	if m := env.metrics(); !strings.Contains(m, fmt.Sprintf("coalesced_requests_total %d\n", n-1)) {
		t.Errorf("coalesced counter:\n%s", grepLines(m, "coalesced"))
	}

	// Different Accept negotiation must not share a result.
	cfg := testConfig()
	cfg.AutoWebP = true
	env2 := startEnv(t, cfg, envOpts{})
	a, b := env2.get(catPath, "Accept", "image/webp"), env2.get(catPath)
	if a.h.Get("Content-Type") == b.h.Get("Content-Type") {
		t.Errorf("Accept variants share a result: %q", a.h.Get("Content-Type"))
	}
}

func TestCoalescingDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.Coalesce = false
	env := startEnv(t, cfg, envOpts{})
	for i := 0; i < 3; i++ {
		if r := env.get(catPath); r.status != 200 {
			t.Fatalf("got %d", r.status)
		}
	}
	if got := env.origin.fetches.Load(); got != 3 {
		t.Errorf("fetches: got %d; want 3", got)
	}
	env.waitReleased()
}

// TestQueueFull: with one worker busy and one job queued for it, the next
// request is refused with 429 before its source is downloaded.
func TestQueueFull(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{workers: 1, queue: 1})
	env.proc.block = make(chan struct{})
	env.proc.started = make(chan struct{}, 4)
	var wg sync.WaitGroup
	res := make([]resp, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res[i] = env.get(fmt.Sprintf("/insecure/rs:fit:%d:10/plain/http://origin.test/photos/cat.jpg", 10+i))
		}(i)
		if i == 0 {
			<-env.proc.started
		}
	}
	// Wait for the second request to sit in the queue.
	deadline := time.Now().Add(5 * time.Second)
	for env.srv.deps.Pool.QueueLen() < 1 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	fetches := env.origin.fetches.Load()
	r := env.get("/insecure/rs:fit:99:10/plain/http://origin.test/photos/cat.jpg")
	if r.status != 429 || r.body != "Too many requests" {
		t.Errorf("over the queue: got %d %q; want 429", r.status, r.body)
	}
	if got := env.origin.fetches.Load(); got != fetches {
		t.Errorf("the refused request fetched its source (%d fetches; want %d)", got, fetches)
	}
	wantHeader(t, r, "Retry-After", "1")
	wantHeader(t, r, "Cache-Control", "")
	close(env.proc.block)
	wg.Wait()
	for i, r := range res {
		if r.status != 200 {
			t.Errorf("queued request %d: got %d", i, r.status)
		}
	}
	if m := env.metrics(); !strings.Contains(m, `errors_total{type="queue"} 1`+"\n") {
		t.Errorf("queue error not counted:\n%s", grepLines(m, "errors_total"))
	}
	env.waitReleased()
}

func TestRequestTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.RequestTimeout = 200 * time.Millisecond
	env := startEnv(t, cfg, envOpts{})
	env.origin.block = make(chan struct{}) // never closed: the deadline ends the fetch
	r := env.get("/insecure/rs:fit:10:10/plain/http://origin.test/block.jpg")
	if r.status != 503 || r.body != "Timeout" {
		t.Errorf("got %d %q; want 503 Timeout", r.status, r.body)
	}
	wantHeader(t, r, "Retry-After", "1")
}

func TestShutdownDrains(t *testing.T) {
	cfg := testConfig()
	cfg.DrainDelay = 300 * time.Millisecond
	env := startEnv(t, cfg, envOpts{})
	env.origin.block = make(chan struct{})
	env.origin.started = make(chan struct{}, 1)
	inflight := make(chan resp, 1)
	go func() { inflight <- env.get("/insecure/rs:fit:10:10/plain/http://origin.test/block.jpg") }()
	<-env.origin.started

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- env.srv.Shutdown(ctx)
	}()
	deadline := time.Now().Add(2 * time.Second)
	for !env.srv.Draining() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// During the drain delay a load balancer's probe sees 503.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	hr, err := c.Get(env.url + "/health")
	if err != nil {
		t.Fatalf("health while draining: %v", err)
	}
	hr.Body.Close()
	if hr.StatusCode != 503 {
		t.Errorf("health while draining: got %d; want 503", hr.StatusCode)
	}
	time.Sleep(cfg.DrainDelay + 100*time.Millisecond) // the listener is closed now
	close(env.origin.block)
	r := <-inflight
	if r.status != 200 || r.body != "jpeg:10x10:JPEGDATA-block" {
		t.Errorf("in-flight request during shutdown: got %d %q; want 200", r.status, r.body)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-env.done; err != nil {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(env.url, "http://"), 200*time.Millisecond); err == nil {
		t.Errorf("listener still accepts after Shutdown")
	}
}

func TestLogs(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{logLevel: slog.LevelInfo})
	env.get(catPath, "X-Request-ID", "req-1", "X-Forwarded-For", "203.0.113.9, 10.0.0.1")
	env.get("/insecure/rs:fit:10:10/plain/http://origin.test/status503", "X-Request-ID", "req-2")
	env.get("/health", "X-Request-ID", "req-3")
	lines := strings.Split(strings.TrimSpace(env.logs.String()), "\n")
	byID := map[string]map[string]any{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		if id, ok := m["request_id"].(string); ok {
			byID[id] = m
		}
	}
	ok := byID["req-1"]
	if ok == nil {
		t.Fatalf("no log line for req-1 in %q", lines)
	}
	for k, want := range map[string]any{"level": "INFO", "method": "GET", "status": 200.0, "source": "http",
		"path": "/rs:fit:100:50/plain/http://origin.test/photos/cat.jpg", "client_ip": "203.0.113.9"} {
		if ok[k] != want {
			t.Errorf("req-1 %s: got %v; want %v", k, ok[k], want)
		}
	}
	for _, k := range []string{"queue_ms", "download_ms", "processing_ms", "total_ms", "bytes"} {
		if _, has := ok[k]; !has {
			t.Errorf("req-1: missing %s", k)
		}
	}
	bad := byID["req-2"]
	if bad == nil || bad["level"] != "ERROR" || bad["status"] != 502.0 || bad["error_kind"] != "upstream_status" ||
		!strings.Contains(fmt.Sprint(bad["error"]), "origin said 503") {
		t.Errorf("req-2 log: got %v; want ERROR 502 with the cause", bad)
	}
	if byID["req-3"] != nil {
		t.Errorf("health must not be logged: %v", byID["req-3"])
	}

	// At warn level nothing is logged for a successful request.
	env2 := startEnv(t, testConfig(), envOpts{logLevel: slog.LevelWarn})
	env2.get(catPath)
	env2.get("/insecure/rs:fit:10:10/plain/http://origin.test/status404")
	logs := env2.logs.String()
	if strings.Contains(logs, `"status":200`) || !strings.Contains(logs, `"status":404`) {
		t.Errorf("warn level: got %q; want only the 404 line", logs)
	}
}

func TestMetrics(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{namespace: "imgproxy"})
	for i := 0; i < 3; i++ {
		env.get(catPath)
	}
	env.get("/insecure/rs:fit:10:10/plain/http://origin.test/status404")
	env.get("/health")
	m := env.metrics()
	for _, want := range []string{
		"imgproxy_requests_total 4\n",
		`imgproxy_status_codes_total{status="200"} 3` + "\n",
		`imgproxy_status_codes_total{status="404"} 1` + "\n",
		`imgproxy_errors_total{type="download"} 1` + "\n",
		"imgproxy_request_duration_seconds_count 4\n",
		`imgproxy_request_duration_seconds_bucket{le="0.005"}`,
		`imgproxy_request_duration_seconds_bucket{le="+Inf"} 4` + "\n",
		`imgproxy_request_span_duration_seconds_bucket{span="queue",le="10"}`,
		`imgproxy_request_span_duration_seconds_count{span="downloading_source_image"} 4` + "\n",
		`imgproxy_request_span_duration_seconds_count{span="processing_image"} 3` + "\n",
		"imgproxy_download_duration_seconds_count 4\n",
		"imgproxy_processing_duration_seconds_count 3\n",
		`imgproxy_buffer_size_bytes_bucket{type="download",le="1024"} 3` + "\n",
		"imgproxy_workers 2\n",
		"imgproxy_requests_in_progress 0\n",
		"imgproxy_images_in_progress 0\n",
		"imgproxy_workers_utilization 0\n",
		"# TYPE imgproxy_request_duration_seconds histogram\n",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics: missing %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", m)
	}
}

func TestRawStreaming(t *testing.T) {
	cfg := testConfig()
	parser, _ := options.NewParser(options.ParserConfig{})
	ver, _ := sign.New(sign.Config{})
	env := startEnv(t, cfg, envOpts{})
	st := &testStreamer{}
	srv, err := New(cfg, Deps{Parser: parser, Verifier: ver, Pool: env.srv.deps.Pool, Fetcher: env.origin,
		Processor: env.proc, Streamer: st})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	env.url = "http://" + ln.Addr().String()
	r := env.get("/insecure/raw:1/plain/http://origin.test/photos/cat.jpg", "Range", "bytes=0-3")
	if r.status != 206 || r.body != "RAW!" {
		t.Errorf("raw: got %d %q; want 206 RAW!", r.status, r.body)
	}
	wantHeader(t, r, "Content-Range", "bytes 0-3/10")
	wantHeader(t, r, "Content-Type", "image/jpeg")
	wantHeader(t, r, "Content-Disposition", `inline; filename="cat.jpg"`)
	if st.gotRange != "bytes=0-3" {
		t.Errorf("Range forwarded: got %q", st.gotRange)
	}
	if env.proc.calls.Load() != 0 {
		t.Errorf("raw request was processed")
	}
	deadline := time.Now().Add(2 * time.Second)
	for !st.closed.Load() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if !st.closed.Load() {
		t.Errorf("raw body was not closed")
	}
}

func grepLines(s string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsPromtool validates the exposition with Prometheus' own linter.
func TestMetricsPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	env := startEnv(t, testConfig(), envOpts{namespace: "imgproxy"})
	env.get(catPath)
	env.get("/insecure/rs:fit:10:10/plain/http://origin.test/status404")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(env.metrics())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestHeaderSafe(t *testing.T) {
	f := func(v string, want bool) {
		t.Helper()
		if got := headerSafe(v); got != want {
			t.Errorf("headerSafe(%q): got %v; want %v", v, got, want)
		}
	}
	f("http://h.test/a.jpg", true)
	f("http://h.test/a.jpg\r\nSet-Cookie: x=1", false)
	f("http://h.test/\x00", false)
	f("http://h.test/\x7f", false)
}
