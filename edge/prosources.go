package edge

import (
	"container/list"
	"context"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
)

// The source and integrity options of imgproxy Pro in the download stage
// (docs/options.md): bypass_cache, hashsum, fallback_image_url and the
// image of watermark_url, which edge fetches through its Fetcher like a
// source (same SSRF rules and size limit) and hands to the Processor as
// Source.Watermarks; and the cache_tags response headers.

// uncachedFetcher is implemented by a Fetcher with a source cache
// (*fetch.Fetcher): bypass_cache fetches through it.
type uncachedFetcher interface {
	FetchUncached(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error)
}

// fetchSource fetches r's source, past the source cache for bypass_cache.
func (s *Server) fetchSource(ctx context.Context, r *result) (options.Source, error) {
	if u, ok := s.deps.Fetcher.(uncachedFetcher); ok && r.opts.BypassCache {
		return u.FetchUncached(ctx, r.url, &r.cond, r.opts.Limits.MaxSrcFileSize)
	}
	return s.deps.Fetcher.Fetch(ctx, r.url, &r.cond, r.opts.Limits.MaxSrcFileSize)
}

// fallbackImage returns the bytes to process instead of a source whose
// fetch failed with a fetch-stage error: fallback_image_url's image, else
// (also when that cannot be fetched) IMGPROXY_FALLBACK_IMAGE_*; nil = none.
func (s *Server) fallbackImage(ctx context.Context, r *result) []byte {
	if u := r.opts.FallbackImageURL; u != "" {
		if b, err := s.auxImage(ctx, s.fallbacks, u, r.opts.Limits.MaxSrcFileSize); err == nil {
			return b
		}
	}
	return s.cfg.FallbackImage
}

// fetchWatermarks puts the watermark_url image of every enabled watermark
// (of every pipeline of a chained request) into src.Watermarks. A failure
// fails the request with the fetch error (the statuses of a source that
// cannot be fetched; no fallback image).
func (s *Server) fetchWatermarks(ctx context.Context, r *result, src *options.Source) error {
	if src.Meta.NotModified {
		return nil
	}
	for o := &r.opts; o != nil; o = o.Previous {
		w := &o.Watermark
		if !w.Enabled() || w.URL == "" || src.Watermarks[w.URL] != nil {
			continue
		}
		b, err := s.auxImage(ctx, s.marks, w.URL, r.opts.Limits.MaxSrcFileSize)
		if err != nil {
			return options.Wrap(options.KindOf(err), "watermark_url", err)
		}
		if src.Watermarks == nil {
			src.Watermarks = make(map[string][]byte, 1)
		}
		src.Watermarks[w.URL] = b
	}
	return nil
}

// auxImage returns the bytes at url from c or fetches them (and caches a
// copy in Go memory). The bytes are shared and must not be changed.
func (s *Server) auxImage(ctx context.Context, c *auxCache, url string, maxSize int64) ([]byte, error) {
	if b := c.get(url, maxSize); b != nil {
		return b, nil
	}
	src, err := s.deps.Fetcher.Fetch(ctx, url, nil, maxSize)
	if err != nil {
		return nil, err
	}
	b := append([]byte(nil), src.Data...)
	src.Release()
	if len(b) == 0 {
		return nil, options.Errorf(options.KindInvalidImage, "%q is empty", url)
	}
	c.put(url, b)
	return b, nil
}

// auxCacheBytes bounds the bytes an auxCache holds; an image over a
// quarter of it is not cached.
const auxCacheBytes = 64 << 20

// auxCache keeps fetched watermark or fallback images by URL, least
// recently used out first, bounded by IMGPROXY_WATERMARKS_CACHE_SIZE /
// IMGPROXY_FALLBACK_IMAGES_CACHE_SIZE entries and auxCacheBytes. Entries
// never expire (a changed image needs a new URL, e.g. a query string).
// Safe for concurrent use; the bytes it hands out are immutable.
type auxCache struct {
	mu    sync.Mutex
	max   int // entries; 0 = no caching
	size  int
	order list.List // of *auxEntry, most recent first
	byURL map[string]*list.Element
}

type auxEntry struct {
	url  string
	data []byte
}

func newAuxCache(max int) *auxCache { return &auxCache{max: max, byURL: map[string]*list.Element{}} }

// get returns the cached bytes of url, nil when absent or over maxSize
// (the request's source size limit; 0 = none).
func (c *auxCache) get(url string, maxSize int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byURL[url]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	b := e.Value.(*auxEntry).data
	if maxSize > 0 && int64(len(b)) > maxSize {
		return nil
	}
	return b
}

func (c *auxCache) put(url string, b []byte) {
	if c.max <= 0 || len(b) > auxCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byURL[url]; ok {
		c.remove(old)
	}
	c.byURL[url] = c.order.PushFront(&auxEntry{url: url, data: b})
	c.size += len(b)
	for c.order.Len() > c.max || c.size > auxCacheBytes {
		c.remove(c.order.Back())
	}
}

func (c *auxCache) remove(e *list.Element) {
	a := c.order.Remove(e).(*auxEntry)
	delete(c.byURL, a.url)
	c.size -= len(a.data)
}

// Cache tag header names (IMGPROXY_CACHE_TAGS_FORMAT).
const (
	cloudflareTagHeader = "Cache-Tag"
	cloudfrontTagHeader = "X-Amz-Meta-Cache-Tag"
)

// setCacheTags writes the cache_tags option's tags, comma-separated, in
// the headers IMGPROXY_CACHE_TAGS_FORMAT selects.
func (s *Server) setCacheTags(h *fasthttp.ResponseHeader, tags string) {
	if tags == "" {
		return
	}
	switch s.cfg.CacheTagsFormat {
	case "", CacheTagsAll:
		h.Set(cloudflareTagHeader, tags)
		h.Set(cloudfrontTagHeader, tags)
	case CacheTagsCloudflare:
		h.Set(cloudflareTagHeader, tags)
	case CacheTagsCloudFront:
		h.Set(cloudfrontTagHeader, tags)
	}
}

// IMGPROXY_CACHE_TAGS_FORMAT values.
const (
	CacheTagsAll        = "all"
	CacheTagsCloudFront = "cloudfront"
	CacheTagsCloudflare = "cloudflare"
	CacheTagsNone       = "none"
)
