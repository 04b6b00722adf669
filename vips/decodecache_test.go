package vips

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// cacheProcessor has a decode cache of size bytes kept for ttl.
func cacheProcessor(t *testing.T, size int64, ttl time.Duration) *Processor {
	t.Helper()
	return newTestProcessor(t, func(c *Config) { c.DecodeCacheSize, c.DecodeCacheTTL = size, ttl })
}

// TestDecodeCacheShares: requests that need the same decode (same source,
// same shrink-on-load) share it, others do not, and every output is byte
// for byte the one a processor without the cache returns.
func TestDecodeCacheShares(t *testing.T) {
	p := cacheProcessor(t, 64<<20, time.Minute)
	plain := newTestProcessor(t, func(c *Config) { c.DecodeCacheSize = 0 })
	jpeg := sourceSized(t, options.FormatJPEG, 1600, 1000, false)
	png := sourceSized(t, options.FormatPNG, 600, 400, true)
	webp := sourceSized(t, options.FormatWebP, 1600, 1000, false)
	f := func(src []byte, w, h int, format options.Format, wantHit bool) {
		t.Helper()
		o := defaultOptions()
		o.Width, o.Height, o.Format = w, h, format
		if h > 0 {
			o.ResizingType = options.ResizeFill
		}
		before := p.DecodeCacheStats()
		got, _ := process(t, p, src, o, nil)
		after := p.DecodeCacheStats()
		if hit := after.Hits > before.Hits; hit != wantHit {
			t.Fatalf("%dx%d %v: shared %v; want %v (%+v)", w, h, format, hit, wantHit, after)
		}
		if want, _ := process(t, plain, src, o, nil); !bytes.Equal(got, want) {
			t.Fatalf("%dx%d %v: the output differs from a decode of its own", w, h, format)
		}
	}
	f(jpeg, 200, 0, options.FormatJPEG, false)  // shrink 8: decoded and cached
	f(jpeg, 180, 120, options.FormatWebP, true) // also shrink 8: shared
	f(jpeg, 400, 0, options.FormatJPEG, false)  // shrink 4: another decode
	f(jpeg, 300, 0, options.FormatPNG, true)    // shrink 4 again
	f(png, 300, 0, options.FormatJPEG, false)   // PNG: no decoder shrink
	f(png, 100, 100, options.FormatPNG, true)   // the same decode, another rendition
	f(webp, 400, 0, options.FormatWebP, false)  // scale 1/4
	f(webp, 390, 0, options.FormatJPEG, true)   // still 1/4
	f(webp, 500, 0, options.FormatWebP, false)  // 1/3
	if st := p.DecodeCacheStats(); st.Entries != 5 || st.Bytes != 200*125*3+400*250*3+600*400*4+400*250*3+533*333*3 {
		t.Fatalf("cache holds %+v; want the 5 decodes", st)
	}
}

// TestDecodeCacheConcurrent: requests for the same decode arriving
// together decode it once; the others wait for it.
func TestDecodeCacheConcurrent(t *testing.T) {
	p := cacheProcessor(t, 64<<20, time.Minute)
	src := sourceSized(t, options.FormatJPEG, 1600, 1000, false)
	const n = 6
	outs := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := defaultOptions()
			o.Width = 150 + 10*i // all shrink by 8
			res, err := processBytes(context.Background(), p, src, &o, nil)
			if err != nil {
				t.Error(err)
				return
			}
			outs[i] = append([]byte(nil), res.Data...)
			res.Release()
		}()
	}
	wg.Wait()
	if st := p.DecodeCacheStats(); st.Misses != 1 || st.Hits != n-1 {
		t.Fatalf("stats %+v; want 1 decode shared by %d", st, n-1)
	}
}

// TestDecodeCacheBounds: decodes larger than half the cache are not kept,
// the cache stays within its bytes, and entries expire (and are swept)
// after the TTL.
func TestDecodeCacheBounds(t *testing.T) {
	src := sourceSized(t, options.FormatPNG, 300, 200, false) // 180000 bytes decoded
	o := defaultOptions()
	o.Width = 100
	small := cacheProcessor(t, 300_000, time.Minute)
	process(t, small, src, o, nil)
	if st := small.DecodeCacheStats(); st.Entries != 0 || st.Misses != 0 {
		t.Fatalf("a decode over half the cache: %+v; want it streamed, not cached", st)
	}
	p := cacheProcessor(t, 400_000, 50*time.Millisecond)
	var srcs [][]byte
	for i := range 3 {
		srcs = append(srcs, sourceSized(t, options.FormatPNG, 300, 200+i, false))
	}
	for _, s := range srcs {
		process(t, p, s, o, nil)
		if st := p.DecodeCacheStats(); st.Bytes > 400_000 {
			t.Fatalf("cache holds %d bytes; want <= 400000", st.Bytes)
		}
	}
	if st := p.DecodeCacheStats(); st.Entries != 2 {
		t.Fatalf("cache holds %d decodes; want the 2 most recent", st.Entries)
	}
	time.Sleep(60 * time.Millisecond)
	process(t, p, srcs[2], o, nil)
	if st := p.DecodeCacheStats(); st.Hits != 0 {
		t.Fatalf("an expired decode was shared: %+v", st)
	}
	for deadline := time.Now().Add(5 * time.Second); p.DecodeCacheStats().Entries > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("expired decodes are still held: %+v", p.DecodeCacheStats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDecodeCacheLeaderFails: when the request decoding a source fails or
// its context ends, those waiting for the decode make their own, and a
// waiter whose own context ends stops waiting.
func TestDecodeCacheLeaderFails(t *testing.T) {
	c := newDecodeCache(1<<20, time.Minute, nil)
	key := c.key([]byte("source"), options.FormatJPEG, loadParams{shrink: 2})
	_, e, err := c.acquire(context.Background(), key)
	if err != nil || e == nil {
		t.Fatalf("first lookup: entry %v, %v; want to decode", e, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.acquire(ctx, key); kindOf(err) != options.KindCanceled {
		t.Fatalf("waiting with an ended context: %v; want KindCanceled", err)
	}
	got := make(chan bool)
	go func() {
		_, e, err := c.acquire(context.Background(), key)
		if err != nil {
			t.Error(err)
		}
		got <- e != nil
	}()
	c.abandon(e)
	if !<-got {
		t.Fatalf("after the first decode failed, the waiter did not decode for itself")
	}
}

// TestDecodeCacheReleases: closing the processor frees every cached
// decode (no libvips object outlives it).
func TestDecodeCacheReleases(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	objs0 := liveObjects()
	p, err := NewProcessor(func() Config { c := DefaultConfig(); c.DecodeCacheTTL = time.Minute; return c }())
	if err != nil {
		t.Fatal(err)
	}
	o := defaultOptions()
	o.Width = 50
	for _, f := range []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatWebP} {
		process(t, p, sourceSized(t, f, 200, 100, false), o, nil)
	}
	if st := p.DecodeCacheStats(); st.Entries != 3 {
		t.Fatalf("cache holds %+v; want 3 decodes", st)
	}
	p.Close()
	if objs := liveObjects(); objs != objs0 {
		t.Fatalf("%d libvips objects alive after Close; want %d", objs, objs0)
	}
}

// TestDecodeCacheEvictionUnderUse: decodes evicted (by size) while other
// requests use them stay valid for those requests.
func TestDecodeCacheEvictionUnderUse(t *testing.T) {
	var srcs, want [][]byte
	plain := newTestProcessor(t, func(c *Config) { c.DecodeCacheSize = 0 })
	o := defaultOptions()
	o.Width = 40
	for h := 79; h <= 81; h++ { // about 29000 bytes decoded each
		src := sourceSized(t, options.FormatPNG, 120, h, false)
		out, _ := process(t, plain, src, o, nil)
		srcs, want = append(srcs, src), append(want, out)
	}
	p := cacheProcessor(t, 58_320, time.Minute) // room for two of them
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				k := (g + i) % 3
				res, err := processBytes(context.Background(), p, srcs[k], &o, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(res.Data, want[k]) {
					t.Error("a shared decode gave another result")
				}
				res.Release()
			}
		}()
	}
	wg.Wait()
	if st := p.DecodeCacheStats(); st.Entries > 2 || st.Bytes > 58_320 || st.Hits == 0 || st.Misses < 4 {
		t.Fatalf("stats %+v; want at most two decodes held, some shared, some evicted and decoded again", st)
	}
}
