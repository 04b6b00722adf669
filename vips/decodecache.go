package vips

import (
	"container/list"
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgedge/imgedge/options"
)

// The decoded-source cache (docs/tuning.md, "Decoded-source cache"):
// renditions of one source requested close together (the widths of a
// srcset after an upload or a purge) share one decode. The key is the
// source's content and everything that decides the decoded pixels (format,
// shrink-on-load factor or scale, pages), so a shared decode is the decode
// the request would have made itself and the output is byte for byte the
// same. Entries are decoded images in memory, bounded in bytes and kept
// for a short time; a request finding the decode it needs under way waits
// for it instead of decoding the same pixels again.

// decodeKey identifies a decoded source.
type decodeKey struct {
	sum    [2]uint64 // content hash of the source bytes, two seeds
	size   int       // source length
	format options.Format
	lp     loadParams // how it was loaded (seq cleared: it does not change pixels)
}

// decodeEntry is one cached decode, or one under way (ready open).
type decodeEntry struct {
	key     decodeKey
	im      *image // in memory, owned by the cache; nil while decoding or after a failed decode
	bytes   int64
	expires time.Time
	ready   chan struct{} // closed once im is set or the decode failed
	elem    *list.Element // in lru while cached
}

// decodeCache is safe for concurrent use. Its images are read by many
// requests at once (libvips reads memory images from any thread); each
// request works on its own header copy (image.clone).
type decodeCache struct {
	max   int64 // bytes of decoded pixels held at most
	ttl   time.Duration
	seeds [2]maphash.Seed
	event func(hit bool)

	mu      sync.Mutex
	used    int64
	entries map[decodeKey]*decodeEntry
	lru     list.List   // of *decodeEntry, most recently used first
	sweeper *time.Timer // drops expired entries while any are cached

	hits, misses atomic.Int64
}

func newDecodeCache(max int64, ttl time.Duration, event func(hit bool)) *decodeCache {
	return &decodeCache{max: max, ttl: ttl, event: event, entries: map[decodeKey]*decodeEntry{},
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// maxEntry is the largest decode worth caching: half of the cache, so
// that one large source cannot push out all the others.
func (c *decodeCache) maxEntry() int64 { return c.max / 2 }

// key returns the cache key of src loaded as f with lp.
func (c *decodeCache) key(src []byte, f options.Format, lp loadParams) decodeKey {
	lp.seq = false
	return decodeKey{sum: [2]uint64{maphash.Bytes(c.seeds[0], src), maphash.Bytes(c.seeds[1], src)},
		size: len(src), format: f, lp: lp}
}

// acquire returns a header copy of the cached decode of key (the caller
// closes it), or, when there is none, a new entry the caller must decode
// and then fill or abandon (e non-nil). A decode of key under way is
// waited for; ctx ending while waiting returns its error.
func (c *decodeCache) acquire(ctx context.Context, key decodeKey) (hit *image, e *decodeEntry, err error) {
	for {
		c.mu.Lock()
		e = c.entries[key]
		if e != nil && e.im != nil && time.Now().After(e.expires) {
			c.removeLocked(e)
			e = nil
		}
		if e == nil {
			e = &decodeEntry{key: key, ready: make(chan struct{})}
			c.entries[key] = e
			c.mu.Unlock()
			c.count(false)
			return nil, e, nil
		}
		if e.im != nil {
			// Copy under the lock: an eviction closes e.im.
			hit, err = e.im.clone()
			c.lru.MoveToFront(e.elem)
			c.mu.Unlock()
			if err != nil {
				return nil, nil, err
			}
			c.count(true)
			return hit, nil, nil
		}
		ready := e.ready
		c.mu.Unlock()
		select {
		case <-ready: // look again: cached now, or failed (then decode ourselves)
		case <-ctx.Done():
			return nil, nil, interrupted(ctx)
		}
	}
}

// fill stores the decode of a leader's entry (im, in memory, bytes large;
// the cache owns im from now on) and wakes those waiting for it.
func (c *decodeCache) fill(e *decodeEntry, im *image, bytes int64) {
	c.mu.Lock()
	e.im, e.bytes, e.expires = im, bytes, time.Now().Add(c.ttl)
	e.elem = c.lru.PushFront(e)
	c.used += bytes
	for c.used > c.max {
		c.removeLocked(c.lru.Back().Value.(*decodeEntry))
	}
	if c.sweeper == nil {
		c.sweeper = time.AfterFunc(c.ttl, c.sweep)
	}
	c.mu.Unlock()
	close(e.ready)
}

// sweep drops the expired entries, so that an idle server does not hold
// decoded pixels, and runs again while entries remain.
func (c *decodeCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*decodeEntry); now.After(e.expires) {
			c.removeLocked(e)
		}
		el = next
	}
	c.sweeper = nil
	if c.lru.Len() > 0 {
		c.sweeper = time.AfterFunc(c.ttl/2, c.sweep)
	}
}

// abandon drops a leader's entry whose decode failed; those waiting for it
// decode for themselves.
func (c *decodeCache) abandon(e *decodeEntry) {
	c.mu.Lock()
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	c.mu.Unlock()
	close(e.ready)
}

// removeLocked drops a cached entry; images cloned from it keep their
// pixels alive until they are closed.
func (c *decodeCache) removeLocked(e *decodeEntry) {
	delete(c.entries, e.key)
	c.lru.Remove(e.elem)
	c.used -= e.bytes
	e.im.close()
}

func (c *decodeCache) count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	if c.event != nil {
		c.event(hit)
	}
}

// close empties the cache (the Processor is closing).
func (c *decodeCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sweeper != nil {
		c.sweeper.Stop()
		c.sweeper = nil
	}
	for c.lru.Len() > 0 {
		c.removeLocked(c.lru.Back().Value.(*decodeEntry))
	}
}

// DecodeCacheStats describes the decoded-source cache of a Processor.
type DecodeCacheStats struct {
	Hits, Misses int64 // lookups that shared a decode / decoded themselves
	Bytes        int64 // decoded pixels held now
	Entries      int   // decodes held now
}

// DecodeCacheStats returns the cache's counters (zero when it is off).
// Safe for concurrent use.
func (p *Processor) DecodeCacheStats() DecodeCacheStats {
	c := p.dc
	if c == nil {
		return DecodeCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return DecodeCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Bytes: c.used, Entries: c.lru.Len()}
}

// sharedDecode is the main step that gives the frame steps the decoded
// source: from the cache when the same decode was made recently or is
// under way, else decoded now into memory and cached. It does nothing
// when the cache is off, after trim (a full-size random-access load), or
// for decodes over the cache's entry limit (they stream as usual).
func sharedDecode(st *state) error {
	c := st.p.dc
	if c == nil || st.trimmed {
		return nil
	}
	im := st.im
	bytes := int64(im.width()) * int64(im.height()) * int64(im.bands()) * int64(im.bandBytes())
	if bytes <= 0 || bytes > c.maxEntry() {
		return nil
	}
	hit, e, err := c.acquire(st.ctx, c.key(st.src, st.meta.Format, st.loaded))
	if err != nil {
		return err
	}
	if hit != nil {
		st.im.close()
		st.im = hit
		return nil
	}
	filled := false
	defer func() {
		if !filled {
			c.abandon(e) // failed, cancelled or panicked: the waiters decode for themselves
		}
	}()
	if err := im.copyMemory(); err != nil {
		return err
	}
	cached, err := im.clone()
	if err != nil {
		return err
	}
	c.fill(e, cached, bytes)
	filled = true
	return nil
}
