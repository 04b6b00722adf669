package workers

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

func newDownloads(t *testing.T, cfg DownloadsConfig) *Downloads {
	t.Helper()
	d, err := NewDownloads(cfg)
	if err != nil {
		t.Fatalf("NewDownloads(%+v): %v", cfg, err)
	}
	return d
}

func TestDownloadsConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  DownloadsConfig
		want string
	}{
		{DownloadsConfig{Slots: 1, Memory: 1}, ""},
		{DownloadsConfig{Memory: 1}, "IMGEDGE_DOWNLOADS"},
		{DownloadsConfig{Slots: 1}, "IMGEDGE_DOWNLOAD_MEMORY"},
		{DownloadsConfig{Slots: 1, Memory: 1, QueueSize: -1}, "IMGPROXY_REQUESTS_QUEUE_SIZE"},
	} {
		err := c.cfg.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v; want %q", c.cfg, err, c.want)
		}
	}
}

// TestDownloadsSlotsAndQueue: beyond its slots the stage queues, beyond
// slots + queue size it refuses with KindQueueFull; Leave frees the slot
// for the next request while the bytes stay reserved until Release.
func TestDownloadsSlotsAndQueue(t *testing.T) {
	set := metrics.NewSet()
	d := newDownloads(t, DownloadsConfig{Slots: 2, Memory: 1000, QueueSize: 1, Metrics: Metrics{Set: set}})
	ctx := context.Background()
	var t1, t2, t3, t4 Ticket
	for _, tk := range []*Ticket{&t1, &t2} {
		if err := d.Enter(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := t1.Grow(ctx, 600); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	go func() { ch <- d.Enter(ctx, &t3) }()
	waitFor(t, "third request queued", func() bool { return d.QueueLen() == 1 })
	wantKind(t, d.Enter(ctx, &t4), options.KindQueueFull)

	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	for _, want := range []string{"download_slots 2", "downloads_in_progress 2", "download_queue_length 1",
		"download_memory_bytes 1000", "download_memory_reserved_bytes 600"} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}

	t1.Leave() // source in memory: the slot goes to t3, the bytes stay
	if err := recv(t, "queued Enter", ch); err != nil {
		t.Fatal(err)
	}
	if d.Reserved() != 600 {
		t.Errorf("reserved %d after Leave; want 600", d.Reserved())
	}
	// t3's first 600 bytes do not fit beside t1's and t2's: it waits until
	// a worker takes t1's job.
	if err := t2.Grow(ctx, 100); err != nil {
		t.Fatal(err)
	}
	gch := make(chan error, 1)
	go func() { gch <- t3.Grow(ctx, 600) }()
	waitFor(t, "grow queued", func() bool { return d.mem.Waiting() == 1 })
	t1.Release() // a worker took t1's job
	if err := recv(t, "grow", gch); err != nil {
		t.Fatal(err)
	}
	t2.Release()
	t3.Release()
	t3.Release() // idempotent
	if d.InProgress() != 0 || d.Reserved() != 0 || d.inflight.Load() != 0 {
		t.Errorf("after release: in progress %d, reserved %d, inflight %d; want 0", d.InProgress(), d.Reserved(), d.inflight.Load())
	}
}

// TestDownloadsMemoryBound: many concurrent downloads growing their
// buffers in steps never hold more than the stage's memory together, apart
// from the one download the budget lets past it when all holders wait to
// grow (so at most memory + one source), and all finish.
func TestDownloadsMemoryBound(t *testing.T) {
	const mem = 1 << 20
	d := newDownloads(t, DownloadsConfig{Slots: 8, Memory: mem})
	var wg sync.WaitGroup
	var peak, over atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tk Ticket
			if err := d.Enter(context.Background(), &tk); err != nil {
				t.Error(err)
				return
			}
			defer tk.Release()
			for range 8 { // a body of unknown length arriving in 64 KiB steps
				if err := tk.Grow(context.Background(), 64<<10); err != nil {
					t.Error(err)
					return
				}
				r := d.Reserved()
				for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
				}
				if r > mem+512<<10 {
					over.Add(1)
				}
			}
			tk.Leave()
		}()
	}
	guard(t, "downloads", wg.Wait)
	if over.Load() > 0 {
		t.Errorf("reserved bytes went over memory + one source %d times (peak %d)", over.Load(), peak.Load())
	}
	if d.Reserved() != 0 {
		t.Errorf("reserved %d at the end; want 0", d.Reserved())
	}
}
