package fetch

import (
	"sync"
	"time"

	"github.com/imgedge/imgedge/options"
)

// sourceCache keeps recently fetched sources in memory for a short TTL, so
// that several sizes of one image requested within seconds download it
// once. It is bounded by the summed capacity of the buffers it holds. An
// entry holds one reference on its buffer; every Fetch served from it holds
// another, so an evicted buffer returns to the pool only after the last
// caller released it.
type sourceCache struct {
	mu         sync.Mutex
	max        int64
	ttl        time.Duration
	size       int64
	items      map[string]*cacheEntry
	head, tail *cacheEntry // most / least recently used
	now        func() time.Time
	// inflight holds a channel per URL being downloaded, closed when the
	// download ends, so concurrent requests for one source (several sizes
	// of one image) wait for one download instead of starting their own.
	inflight map[string]chan struct{}
}

type cacheEntry struct {
	key        string
	buf        *buffer
	meta       options.SourceMeta
	expires    time.Time
	prev, next *cacheEntry
}

func newSourceCache(max int64, ttl time.Duration) *sourceCache {
	return &sourceCache{max: max, ttl: ttl, items: make(map[string]*cacheEntry), now: time.Now,
		inflight: make(map[string]chan struct{})}
}

// begin registers a download of key. The first caller becomes the leader
// (leader true) and must call end(key) after add; the others get a channel
// closed when the leader is done.
func (c *sourceCache) begin(key string) (wait <-chan struct{}, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.inflight[key]; ok {
		return ch, false
	}
	c.inflight[key] = make(chan struct{})
	return nil, true
}

// end wakes the callers waiting for key.
func (c *sourceCache) end(key string) {
	c.mu.Lock()
	ch := c.inflight[key]
	delete(c.inflight, key)
	c.mu.Unlock()
	close(ch)
}

// get returns a retained buffer and its metadata for a fresh entry.
func (c *sourceCache) get(key string, meta *options.SourceMeta) (*buffer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.items[key]
	if e == nil {
		return nil, false
	}
	if !c.now().Before(e.expires) {
		c.remove(e)
		return nil, false
	}
	c.unlink(e)
	c.pushFront(e)
	e.buf.Retain()
	*meta = e.meta
	return e.buf, true
}

// add stores buf (taking its own reference) unless it is larger than the
// whole cache.
func (c *sourceCache) add(key string, buf *buffer, meta *options.SourceMeta) {
	sz := int64(cap(buf.b))
	if sz > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.items[key]; old != nil {
		c.remove(old)
	}
	buf.Retain()
	e := &cacheEntry{key: key, buf: buf, meta: *meta, expires: c.now().Add(c.ttl)}
	c.items[key] = e
	c.pushFront(e)
	c.size += sz
	now := c.now()
	for c.tail != nil && (c.size > c.max || !now.Before(c.tail.expires)) {
		c.remove(c.tail)
	}
}

// purge drops every entry.
func (c *sourceCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.tail != nil {
		c.remove(c.tail)
	}
}

// len returns the number of entries and their summed size (tests).
func (c *sourceCache) stats() (n int, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.size
}

func (c *sourceCache) remove(e *cacheEntry) {
	c.unlink(e)
	delete(c.items, e.key)
	c.size -= int64(cap(e.buf.b))
	e.buf.Release()
}

func (c *sourceCache) unlink(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *sourceCache) pushFront(e *cacheEntry) {
	e.next = c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}
