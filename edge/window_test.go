package edge

import (
	"strings"
	"testing"
	"time"
)

func windowConfig(d time.Duration) Config {
	c := testConfig()
	c.CoalesceWindow = d
	return c
}

// TestWindowServesStragglers: an identical request arriving after the
// work finished gets the kept result, byte for byte, without a second
// fetch or processing; the window's metrics count it.
func TestWindowServesStragglers(t *testing.T) {
	env := startEnv(t, windowConfig(time.Hour), envOpts{})
	a := env.get(catPath)
	b := env.get(catPath)
	if a.status != 200 || b.status != 200 || a.body != b.body {
		t.Fatalf("got %d %q and %d %q; want two identical 200s", a.status, a.body, b.status, b.body)
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "ETag", "Last-Modified", "Content-Disposition"} {
		if a.h.Get(h) != b.h.Get(h) {
			t.Errorf("%s: %q then %q", h, a.h.Get(h), b.h.Get(h))
		}
	}
	if f, p := env.origin.fetches.Load(), env.proc.calls.Load(); f != 1 || p != 1 {
		t.Errorf("fetches %d, processings %d; want 1, 1", f, p)
	}
	m := env.metrics()
	if !strings.Contains(m, "coalesce_window_hits_total 1\n") || !strings.Contains(m, `requests_total 2`+"\n") {
		t.Errorf("window metrics:\n%s", grepLines(m, "window"))
	}
	if strings.Contains(m, "coalesce_window_bytes 0\n") {
		t.Errorf("the kept result is not counted:\n%s", grepLines(m, "window"))
	}
	env.srv.group.Purge()
	env.waitReleased()
}

// TestWindowExpires: once the window has passed the result is released
// and the next request computes it again.
func TestWindowExpires(t *testing.T) {
	env := startEnv(t, windowConfig(30*time.Millisecond), envOpts{})
	if r := env.get(catPath); r.status != 200 {
		t.Fatalf("got %d", r.status)
	}
	waitUntil(t, "the window to expire", func() bool { return env.srv.group.KeptBytes() == 0 })
	env.waitReleased() // the kept reference is gone: everything produced is released
	if r := env.get(catPath); r.status != 200 {
		t.Fatalf("got %d", r.status)
	}
	if p := env.proc.calls.Load(); p != 2 {
		t.Errorf("processings: %d; want 2 (no result served after its window)", p)
	}
	env.srv.group.Purge()
	env.waitReleased()
}

// TestWindowKeepsNoErrors: errors, fallback images and responses that may
// not be cached are never served from the window.
func TestWindowKeepsNoErrors(t *testing.T) {
	env := startEnv(t, windowConfig(time.Hour), envOpts{})
	for range 2 {
		if r := env.get("/insecure/rs:fit:10:10/plain/http://origin.test/status404"); r.status != 404 {
			t.Fatalf("origin 404: got %d", r.status)
		}
		if r := env.get("/insecure/rs:fit:13:10/plain/http://origin.test/broken.jpg"); r.status != 422 {
			t.Fatalf("broken image: got %d %q", r.status, r.body)
		}
	}
	if f := env.origin.fetches.Load(); f != 4 {
		t.Errorf("fetches: %d; want 4 (errors are not kept)", f)
	}

	cfg := windowConfig(time.Hour)
	cfg.FallbackImage = []byte("FALLBACK")
	env = startEnv(t, cfg, envOpts{})
	for range 2 {
		if r := env.get("/insecure/rs:fit:10:10/plain/http://origin.test/status503"); r.h.Get(fallbackHeader) != "1" {
			t.Fatalf("got %d %q; want the fallback image", r.status, r.body)
		}
	}
	if p := env.proc.calls.Load(); p != 2 {
		t.Errorf("fallback processings: %d; want 2 (fallback images are not kept)", p)
	}

	cfg = windowConfig(time.Hour)
	cfg.TTL = 0 // no-cache
	env = startEnv(t, cfg, envOpts{})
	env.get(catPath)
	env.get(catPath)
	if p := env.proc.calls.Load(); p != 2 {
		t.Errorf("no-cache processings: %d; want 2", p)
	}

	cfg = windowConfig(time.Hour)
	cfg.CacheControlPassthrough = true
	env = startEnv(t, cfg, envOpts{})
	env.origin.cc = "public, no-store"
	env.get(catPath)
	env.get(catPath)
	if p := env.proc.calls.Load(); p != 2 {
		t.Errorf("origin no-store processings: %d; want 2", p)
	}
	env.waitReleased()
}

// TestWindowHonoursNegotiation: the window is keyed like coalescing, so a
// request negotiating another format does not get a kept result, and one
// negotiating the same does.
func TestWindowHonoursNegotiation(t *testing.T) {
	cfg := windowConfig(time.Hour)
	cfg.AutoWebP = true
	env := startEnv(t, cfg, envOpts{})
	webp := env.get(catPath, "Accept", "image/webp")
	jpeg := env.get(catPath)
	again := env.get(catPath, "Accept", "image/webp,*/*")
	if webp.h.Get("Content-Type") != "image/webp" || jpeg.h.Get("Content-Type") != "image/jpeg" || again.body != webp.body {
		t.Errorf("got %q, %q, %q; want webp, jpeg, the kept webp", webp.h.Get("Content-Type"), jpeg.h.Get("Content-Type"), again.h.Get("Content-Type"))
	}
	if p := env.proc.calls.Load(); p != 2 {
		t.Errorf("processings: %d; want 2 (one per negotiated format)", p)
	}
	env.srv.group.Purge()
	env.waitReleased()
}

func TestCacheControlMaxAge(t *testing.T) {
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"max-age=60", time.Minute},
		{"public, max-age=60, s-maxage=30", 30 * time.Second},
		{`max-age="120"`, 2 * time.Minute},
		{"public", 0},
		{"max-age=60, no-cache", 0},
		{"private, max-age=60", 0},
		{"no-store", 0},
		{"max-age=-1", 0},
		{"max-age=abc", 0},
		{"max-age=99999999999999999", time.Duration(int64(1<<62)/int64(time.Second)) * time.Second},
	} {
		if got := cacheControlMaxAge(c.v); got != c.want {
			t.Errorf("cacheControlMaxAge(%q) = %v; want %v", c.v, got, c.want)
		}
	}
}
