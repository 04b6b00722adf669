package fetch

import (
	"net/http"
	"strings"
	"time"

	"github.com/imgedge/imgedge/options"
)

// notModified evaluates the client's validators against a source's ETag and
// Last-Modified the way an origin would (RFC 9110 §13.2.2; docs/cdn.md,
// "Revalidation and 304"): If-None-Match decides alone when present;
// otherwise Last-Modified <= If-Modified-Since means not modified.
func notModified(cond *options.Conditional, etag, lastModified string) bool {
	if cond == nil {
		return false
	}
	if cond.IfNoneMatch != "" {
		return etag != "" && etagListMatches(cond.IfNoneMatch, etag)
	}
	if cond.IfModifiedSince == "" || lastModified == "" {
		return false
	}
	ims, err := http.ParseTime(cond.IfModifiedSince)
	if err != nil {
		return false
	}
	lm, err := http.ParseTime(lastModified)
	if err != nil {
		return false
	}
	return !lm.After(ims)
}

// etagListMatches applies the weak comparison of If-None-Match: "*" or any
// listed tag equal to etag ignoring the W/ prefix.
func etagListMatches(list, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ",")
		item = strings.TrimSpace(item)
		if item == "*" || strings.TrimPrefix(item, "W/") == etag {
			return true
		}
	}
	return false
}

// quoteETag turns an opaque validator into an entity-tag.
func quoteETag(s string) string {
	if s == "" || strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `W/"`) {
		return s
	}
	return `"` + s + `"`
}

// httpTime formats t as an HTTP date, or "" for the zero time.
func httpTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(http.TimeFormat)
}
