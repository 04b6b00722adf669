package edge

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
)

// The result window (IMGEDGE_COALESCE_WINDOW, workers.GroupConfig.Window):
// a finished result stays shareable for a moment, keyed like coalescing
// (source, options, negotiated formats, validators), so that identical
// requests arriving just after it finished get it instead of repeating
// the work. A result is kept only when its response is cacheable: a 200
// from the source (not a 304, not the fallback image, never an error), and
// for no longer than the lifetime its Cache-Control gives it.

// Keep implements workers.Keepable: the result's size and how long it may
// still serve identical requests.
func (r *result) Keep() (int64, time.Duration) {
	return int64(len(r.out.Data)), r.keepTTL
}

// keepFor returns how long r may serve stragglers: 0 for anything but a
// plain 200, else the cache lifetime its response would announce now.
func (s *Server) keepFor(r *result, now time.Time) time.Duration {
	if s.cfg.CoalesceWindow <= 0 || r.fallback || r.meta.NotModified || r.err != nil {
		return 0
	}
	return s.lifetime(&r.opts, &r.meta, now)
}

// lifetime is the max-age of a 200 response for opts and meta at now: the
// rule of appendCacheControl (docs/cdn.md), read back as a duration.
// Passed-through origin headers that forbid shared caching (no-cache,
// no-store, private) or give no max-age mean 0.
func (s *Server) lifetime(opts *options.Options, meta *options.SourceMeta, now time.Time) time.Duration {
	ttl := s.cfg.TTL
	if !opts.Expires.IsZero() {
		until := max(0, opts.Expires.Sub(now))
		if ttl <= 0 || until < ttl {
			return until
		}
		return ttl
	}
	switch {
	case s.cfg.CacheControlPassthrough && meta.CacheControl != "":
		return cacheControlMaxAge(meta.CacheControl)
	case s.cfg.CacheControlPassthrough && meta.Expires != "":
		if t, err := fasthttp.ParseHTTPDate([]byte(meta.Expires)); err == nil {
			return max(0, t.Sub(now))
		}
	}
	return max(0, ttl)
}

// cacheControlMaxAge returns the shared-cache lifetime a Cache-Control
// value grants: the smaller of max-age and s-maxage, 0 when it forbids
// storing or sharing, or has neither.
func cacheControlMaxAge(v string) time.Duration {
	age := time.Duration(-1)
	for d := range strings.SplitSeq(v, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-cache", "no-store", "private":
			return 0
		case "max-age", "s-maxage":
			n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
			if err != nil || n < 0 {
				return 0
			}
			if a := time.Duration(min(n, int64(1<<62)/int64(time.Second))) * time.Second; age < 0 || a < age {
				age = a
			}
		}
	}
	return max(age, 0)
}
