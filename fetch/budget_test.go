package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// recBudget records the reservations of one fetch. With block set, Grow
// waits for its context instead (a budget that is used up).
type recBudget struct {
	mu    sync.Mutex
	grows []int64
	block bool
}

func (b *recBudget) Grow(ctx context.Context, n int64) error {
	if b.block {
		<-ctx.Done()
		return options.Wrap(options.KindOf(ctx.Err()), "budget", ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.grows = append(b.grows, n)
	return nil
}

func (b *recBudget) total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var t int64
	for _, n := range b.grows {
		t += n
	}
	return t
}

// TestFetchBudgetReserves: every reader reserves the buffer it allocates
// before allocating it — the announced length at once, a body of unknown
// length (chunked, gzip) as its buffer grows — and a source served from
// the source cache reserves nothing.
func TestFetchBudgetReserves(t *testing.T) {
	body := randomBytes(300_000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/known":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		case "/chunked":
			for i := 0; i < len(body); i += 50_000 {
				w.Write(body[i : i+50_000])
				w.(http.Flusher).Flush()
			}
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}
	}))
	defer origin.Close()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.bin"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	f := newLoopbackFetcher(t, func(c *Config) {
		c.LocalRoot = root
		c.SourceCacheSize = 4 << 20
		c.SourceCacheTTL = time.Hour
	})
	exact := int64(bufferCap(len(body)))
	for _, c := range []struct {
		url      string
		oneGrow  bool
		min, max int64
	}{
		{origin.URL + "/known", true, exact, exact},
		{"local:///a.bin", true, exact, exact},
		{origin.URL + "/chunked", false, int64(len(body)), 2 * exact},
		{origin.URL + "/gzip", false, int64(len(body)), 2 * exact},
	} {
		var b recBudget
		src, err := f.FetchBudget(context.Background(), c.url, nil, 0, &b, false)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if !bytes.Equal(src.Data, body) {
			t.Fatalf("%s: wrong bytes", c.url)
		}
		got := b.total()
		if got < c.min || got > c.max || int64(cap(src.Data)) > got {
			t.Errorf("%s: reserved %d (%v) for a %d-byte buffer; want %d..%d and at least the buffer", c.url, got, b.grows, cap(src.Data), c.min, c.max)
		}
		if c.oneGrow && len(b.grows) != 1 {
			t.Errorf("%s: %d reservations (%v); want one for the announced length", c.url, len(b.grows), b.grows)
		}
		if !c.oneGrow && len(b.grows) < 2 {
			t.Errorf("%s: %d reservations (%v); want the buffer's growth steps", c.url, len(b.grows), b.grows)
		}
		src.Release()

		var again recBudget
		src, err = f.FetchBudget(context.Background(), c.url, nil, 0, &again, false)
		if err != nil {
			t.Fatal(err)
		}
		src.Release()
		if again.total() != 0 {
			t.Errorf("%s from the source cache reserved %d; want 0", c.url, again.total())
		}
		var bypass recBudget
		src, err = f.FetchBudget(context.Background(), c.url, nil, 0, &bypass, true)
		if err != nil {
			t.Fatal(err)
		}
		src.Release()
		if bypass.total() < int64(len(body)) {
			t.Errorf("%s past the source cache reserved %d; want the download's buffer", c.url, bypass.total())
		}
	}
}

// TestFetchBudgetWait: a download waiting for a used-up budget ends like
// a stalled read: the download timeout gives KindDownloadTimeout, the
// request's deadline KindTimeout, and nothing is leaked.
func TestFetchBudgetWait(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(randomBytes(1000))
	}))
	defer origin.Close()
	f := newLoopbackFetcher(t, func(c *Config) { c.DownloadTimeout = 50 * time.Millisecond })
	_, err := f.FetchBudget(context.Background(), origin.URL+"/a", nil, 0, &recBudget{block: true}, false)
	if k := options.KindOf(err); k != options.KindDownloadTimeout {
		t.Errorf("download timeout while waiting for the budget: got %v (%v); want KindDownloadTimeout", k, err)
	}
	f2 := newLoopbackFetcher(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = f2.FetchBudget(ctx, origin.URL+"/a", nil, 0, &recBudget{block: true}, false)
	if k := options.KindOf(err); k != options.KindTimeout {
		t.Errorf("request deadline while waiting for the budget: got %v (%v); want KindTimeout", k, err)
	}
}
