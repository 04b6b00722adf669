package fetch

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

func TestClassFor(t *testing.T) {
	for i := 0; i < numClasses; i++ {
		sz := classSize(i)
		if got := classFor(sz); got != i {
			t.Fatalf("classFor(%d): got %d; want %d", sz, got, i)
		}
		if i > 0 {
			if got := classFor(classSize(i-1) + 1); got != i {
				t.Fatalf("classFor(%d): got %d; want %d", classSize(i-1)+1, got, i)
			}
		}
	}
	for _, n := range []int{0, 1, 16 << 10} {
		if got := classFor(n); got != 0 {
			t.Fatalf("classFor(%d): got %d; want 0", n, got)
		}
	}
	if got := classFor(classSize(numClasses-1) + 1); got != -1 {
		t.Fatalf("classFor(over max): got %d; want -1", got)
	}
	b := getBuffer(100 << 20)
	if b.class != -1 || cap(b.b) != 100<<20 {
		t.Fatalf("huge buffer: got class %d cap %d; want unpooled", b.class, cap(b.b))
	}
	b.Release()
}

func TestBufferRefcount(t *testing.T) {
	b := getBuffer(1000)
	b.Retain()
	b.Release()
	if b.Refs() != 1 {
		t.Fatalf("got %d refs; want 1", b.Refs())
	}
	b.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("double release did not panic")
		}
	}()
	b.Release()
}

func TestSourceCache(t *testing.T) {
	body := randomBytes(20_000)
	var hits atomic.Int32
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("ETag", `"c1"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	f := newLoopbackFetcher(t, func(c *Config) {
		c.SourceCacheSize = 100 << 10 // room for two 32 KiB-class buffers... and a bit
		c.SourceCacheTTL = time.Hour
	})
	now := time.Now()
	f.cache.now = func() time.Time { return now }
	ctx := context.Background()

	s1, err := f.Fetch(ctx, srv.URL+"/a", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := f.Fetch(ctx, srv.URL+"/a", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	d1, d2, meta := s1.Data, s2.Data, s2.Meta
	if hits.Load() != 1 || !bytes.Equal(d2, body) || meta.ETag != `"c1"` {
		t.Fatalf("second fetch: got %d origin hits, meta %+v; want 1 hit from cache", hits.Load(), meta)
	}
	if &d1[0] != &d2[0] {
		t.Fatal("cached fetch returned a copy; want the shared buffer")
	}
	// Conditional against the cached validators.
	s3, err := f.Fetch(ctx, srv.URL+"/a", &options.Conditional{IfNoneMatch: `"c1"`}, 0)
	if err != nil || !s3.Meta.NotModified {
		t.Fatalf("cached conditional: got %v NotModified=%v; want true", err, s3.Meta.NotModified)
	}
	s3.Release()
	// A per-request limit applies to cached entries too.
	_, err = f.Fetch(ctx, srv.URL+"/a", nil, 1000)
	wantKind(t, err, options.KindSourceTooBig)

	// Fill the cache so /a is evicted while still held by s1/s2: its bytes
	// must stay intact until released.
	for _, p := range []string{"/b", "/c", "/d", "/e"} {
		mustFetch(t, f, ctx, srv.URL+p, nil, nil)
	}
	if _, size := f.cache.stats(); size > 100<<10 {
		t.Fatalf("cache holds %d bytes; want <= %d", size, 100<<10)
	}
	if !bytes.Equal(d1, body) || !bytes.Equal(d2, body) {
		t.Fatal("evicted buffer was reused while still held")
	}
	s1.Release()
	s2.Release()
	if n := hits.Load(); n != 5 {
		t.Fatalf("got %d origin hits; want 5", n)
	}
	// Expiry.
	now = now.Add(2 * time.Hour)
	mustFetch(t, f, ctx, srv.URL+"/e", nil, nil)
	if n := hits.Load(); n != 6 {
		t.Fatalf("after TTL: got %d origin hits; want 6", n)
	}
	f.Close()
	if n, size := f.cache.stats(); n != 0 || size != 0 {
		t.Fatalf("after Close: got %d entries, %d bytes; want empty", n, size)
	}
}

func TestSourceCacheCoalesces(t *testing.T) {
	body := randomBytes(30_000)
	var hits atomic.Int32
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	f := newLoopbackFetcher(t, func(c *Config) { c.SourceCacheSize = 1 << 20 })
	const n = 6
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			src, err := f.Fetch(context.Background(), srv.URL+"/same", nil, 0)
			if err == nil {
				if !bytes.Equal(src.Data, body) {
					err = fmt.Errorf("got %d bytes; want the %d origin bytes", len(src.Data), len(body))
				}
				src.Release()
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := hits.Load(); got != 1 {
		t.Fatalf("got %d origin requests for %d concurrent fetches; want 1", got, n)
	}
	// A waiter whose own context ends stops waiting.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	leaderDone := make(chan struct{})
	go func() {
		defer close(leaderDone)
		if src, err := f.Fetch(context.Background(), srv.URL+"/other", nil, 0); err == nil {
			src.Release()
		}
	}()
	time.Sleep(20 * time.Millisecond)
	_, err := f.Fetch(ctx, srv.URL+"/other", nil, 0)
	wantKind(t, err, options.KindTimeout)
	<-leaderDone
}

func TestFetchUncached(t *testing.T) {
	var hits atomic.Int32
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Write([]byte("version " + strconv.Itoa(int(n))))
	})
	f := newLoopbackFetcher(t, func(c *Config) { c.SourceCacheSize = 1 << 20; c.SourceCacheTTL = time.Hour })
	ctx := context.Background()
	get := func(fetch func(context.Context, string, *options.Conditional, int64) (options.Source, error)) string {
		src, err := fetch(ctx, srv.URL+"/x", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Release()
		return string(src.Data)
	}
	if got := get(f.Fetch) + "|" + get(f.Fetch); got != "version 1|version 1" {
		t.Fatalf("cached: got %q", got)
	}
	// Bypassing downloads again, and the fresh copy replaces the cached one.
	if got := get(f.FetchUncached) + "|" + get(f.Fetch); got != "version 2|version 2" || hits.Load() != 2 {
		t.Fatalf("uncached: got %q with %d origin hits; want version 2 twice from 2 hits", got, hits.Load())
	}
}
