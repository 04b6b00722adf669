package workers

import (
	"context"
	"sync/atomic"

	"github.com/imgedge/imgedge/options"
)

// DownloadsConfig configures the download stage. The zero value is
// invalid: Slots and Memory must be set.
type DownloadsConfig struct {
	// Slots is the number of sources downloaded at once (IMGEDGE_DOWNLOADS).
	// Must be > 0.
	Slots int
	// Memory bounds the bytes of sources being downloaded or downloaded
	// and waiting for a worker (IMGEDGE_DOWNLOAD_MEMORY). Must be > 0.
	Memory int64
	// QueueSize bounds the requests waiting for a download slot
	// (IMGPROXY_REQUESTS_QUEUE_SIZE, the same bound as the worker queue):
	// with QueueSize > 0, an Enter that would make more than
	// Slots+QueueSize calls in the stage fails at once with KindQueueFull.
	// 0 = unbounded (waiting is limited by each call's context).
	QueueSize int
	// Metrics receives the stage's gauges (see registerMetrics); the zero
	// value registers none.
	Metrics Metrics
}

// Download stage defaults (docs/config.md): DownloadsPerWorker slots per
// worker, so that workers stay busy while origins take their time to
// answer (a worker finishes a thumbnail in a few milliseconds, an origin
// takes tens to a hundred to send it), and DefaultDownloadMemory bytes when
// no memory budget sets it.
const (
	DownloadsPerWorker    = 16
	DefaultDownloadMemory = 64 << 20
)

// DefaultDownloads returns the stage's defaults for a pool of workers
// (without a memory budget to derive the bytes from), for tests and for
// edge when main gives no stage.
func DefaultDownloads(workers int) DownloadsConfig {
	return DownloadsConfig{Slots: DownloadsPerWorker * max(workers, 1), Memory: DefaultDownloadMemory}
}

// Validate reports the first invalid setting.
func (c *DownloadsConfig) Validate() error {
	if c.Slots <= 0 {
		return options.ConfigErrorf("IMGEDGE_DOWNLOADS", "must be > 0; got %d", c.Slots)
	}
	if c.Memory <= 0 {
		return options.ConfigErrorf("IMGEDGE_DOWNLOAD_MEMORY", "must be > 0; got %d", c.Memory)
	}
	if c.QueueSize < 0 {
		return options.ConfigErrorf("IMGPROXY_REQUESTS_QUEUE_SIZE", "must be >= 0; got %d", c.QueueSize)
	}
	return c.Metrics.Validate()
}

// Downloads is the download stage in front of the worker pool
// (docs/architecture.md, "edge"): sources travel from their origins here,
// bounded by a number of slots and by the bytes they hold, so that a slow
// or hostile origin holds neither a worker nor unbounded memory. A request
// takes a slot with Enter, reserves its buffer with its Ticket's Grow as
// bytes arrive, gives the slot back with Leave once the source is in
// memory, and its bytes with Release once a worker took the job (whose
// memory estimate then counts the source). Both waits are first in, first
// out. Safe for concurrent use; create it with NewDownloads.
type Downloads struct {
	cfg   DownloadsConfig
	slots *Budget
	mem   *Budget

	inflight atomic.Int64 // Enter calls holding or waiting for a slot
}

// NewDownloads validates cfg and returns the stage.
func NewDownloads(cfg DownloadsConfig) (*Downloads, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Downloads{cfg: cfg, slots: NewBudget(int64(cfg.Slots)), mem: NewBudget(cfg.Memory)}
	if cfg.Metrics.Set != nil {
		d.registerMetrics(cfg.Metrics)
	}
	return d, nil
}

// registerMetrics creates the stage's gauges (docs/metrics.md):
//
//	download_slots                 configured slots (IMGEDGE_DOWNLOADS)
//	downloads_in_progress          slots in use
//	download_queue_length          requests waiting for a slot
//	download_memory_bytes          configured bytes (IMGEDGE_DOWNLOAD_MEMORY)
//	download_memory_reserved_bytes bytes reserved by downloads and downloaded sources waiting for a worker
func (d *Downloads) registerMetrics(m Metrics) {
	set := m.Set
	set.NewGauge(m.Name("download_slots"), func() float64 { return float64(d.cfg.Slots) })
	set.NewGauge(m.Name("downloads_in_progress"), func() float64 { return float64(d.slots.Used()) })
	set.NewGauge(m.Name("download_queue_length"), func() float64 { return float64(d.slots.Waiting()) })
	set.NewGauge(m.Name("download_memory_bytes"), func() float64 { return float64(d.cfg.Memory) })
	set.NewGauge(m.Name("download_memory_reserved_bytes"), func() float64 { return float64(d.mem.Used()) })
}

// InProgress returns the slots in use now.
func (d *Downloads) InProgress() int { return int(d.slots.Used()) }

// QueueLen returns the requests waiting for a slot now.
func (d *Downloads) QueueLen() int { return d.slots.Waiting() }

// Reserved returns the bytes reserved now.
func (d *Downloads) Reserved() int64 { return d.mem.Used() }

// Ticket is one request's passage through the download stage. Its zero
// value is ready for Enter; it may be embedded in a per-request struct. A
// Ticket is used by one goroutine at a time.
type Ticket struct {
	d    *Downloads
	slot Reservation
	mem  Reservation
}

// Enter takes a download slot for t, waiting in line until one frees or
// ctx ends. Errors are *options.Error: KindQueueFull when Slots+QueueSize
// calls are already in the stage, KindTimeout / KindCanceled when ctx ends
// first. After a nil error the caller calls t.Release exactly once (t.Leave
// before it is optional).
func (d *Downloads) Enter(ctx context.Context, t *Ticket) error {
	n := d.inflight.Add(1)
	if d.cfg.QueueSize > 0 && n > int64(d.cfg.Slots+d.cfg.QueueSize) {
		d.inflight.Add(-1)
		return options.Errorf(options.KindQueueFull, "workers: download queue is full (%d downloads, queue size %d)",
			d.cfg.Slots, d.cfg.QueueSize)
	}
	if err := d.slots.Acquire(ctx, &t.slot, 1); err != nil {
		d.inflight.Add(-1)
		return err
	}
	t.d = d
	t.mem = Reservation{b: d.mem}
	return nil
}

// Grow reserves n more bytes for the source being downloaded, waiting
// while the stage's memory is used up (see Budget for the rules that keep
// growing downloads from blocking each other for ever). It implements
// options.ByteBudget. Errors as Enter's (without KindQueueFull).
func (t *Ticket) Grow(ctx context.Context, n int64) error {
	return t.mem.Grow(ctx, n)
}

// Held returns the bytes t has reserved.
func (t *Ticket) Held() int64 { return t.mem.Held() }

// Leave gives the slot back (the source is in memory or the download
// failed); the reserved bytes stay until Release. Calling it again does
// nothing.
func (t *Ticket) Leave() {
	if t.d == nil || t.slot.Held() == 0 {
		return
	}
	t.slot.Release()
	t.d.inflight.Add(-1)
}

// Release gives back the slot (if still held) and the reserved bytes. t
// may then be used for another Enter.
func (t *Ticket) Release() {
	if t.d == nil {
		return
	}
	t.Leave()
	t.mem.Release()
	t.d = nil
}
