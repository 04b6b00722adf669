package edge

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// promBuckets are the Prometheus client default buckets imgproxy's
// histograms use (http-behaviour.md §7), so dashboards built on
// `_bucket{le=...}` keep working.
var promBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// bufferBuckets are imgproxy's buffer_size_bytes buckets: 1024·2^k, 14 buckets.
var bufferBuckets = metrics.ExponentialBuckets(1024, 2, 14)

// knownStatuses get their status_codes_total counter at start-up so the hot
// path never formats a metric name.
var knownStatuses = []int{200, 206, 304, 400, 403, 404, 410, 416, 422, 429, 499, 500, 502, 503, 504}

// serverMetrics holds every metric object, created once in New.
type serverMetrics struct {
	set *metrics.Set
	ns  string

	requests        *metrics.Counter
	status          [600]atomic.Pointer[metrics.Counter] // by status code; filled lazily for unknown codes
	statusMu        sync.Mutex
	errors          [numErrTypes]*metrics.Counter
	fallbacks       *metrics.Counter
	notModified     *metrics.Counter
	requestDuration *metrics.PrometheusHistogram
	spanQueue       *metrics.PrometheusHistogram
	spanDownload    *metrics.PrometheusHistogram
	spanProcessing  *metrics.PrometheusHistogram
	spanStreaming   *metrics.PrometheusHistogram
	v3Download      *metrics.PrometheusHistogram // download_duration_seconds (imgproxy v3 dashboards)
	v3Processing    *metrics.PrometheusHistogram // processing_duration_seconds (imgproxy v3 dashboards)
	bufferDownload  *metrics.PrometheusHistogram // buffer_size_bytes{type="download"}

	inProgress     atomic.Int64 // requests_in_progress
	imagesProgress atomic.Int64 // images_in_progress
}

func (m *serverMetrics) name(s string) string {
	if m.ns == "" {
		return s
	}
	return m.ns + "_" + s
}

func newServerMetrics(set *metrics.Set, ns string, d *Deps) *serverMetrics {
	m := &serverMetrics{set: set, ns: ns}
	m.requests = set.NewCounter(m.name("requests_total"))
	for _, code := range knownStatuses {
		m.status[code].Store(set.NewCounter(m.name(`status_codes_total{status="` + strconv.Itoa(code) + `"}`)))
	}
	for i := range m.errors {
		m.errors[i] = set.NewCounter(m.name(`errors_total{type="` + errTypeNames[i] + `"}`))
	}
	m.fallbacks = set.NewCounter(m.name("fallback_images_total"))
	m.notModified = set.NewCounter(m.name("not_modified_total"))
	m.requestDuration = set.NewPrometheusHistogramExt(m.name("request_duration_seconds"), promBuckets)
	span := func(s string) *metrics.PrometheusHistogram {
		return set.NewPrometheusHistogramExt(m.name(`request_span_duration_seconds{span="`+s+`"}`), promBuckets)
	}
	m.spanQueue = span("queue")
	m.spanDownload = span("downloading_source_image")
	m.spanProcessing = span("processing_image")
	m.spanStreaming = span("streaming_image")
	m.v3Download = set.NewPrometheusHistogramExt(m.name("download_duration_seconds"), promBuckets)
	m.v3Processing = set.NewPrometheusHistogramExt(m.name("processing_duration_seconds"), promBuckets)
	m.bufferDownload = set.NewPrometheusHistogramExt(m.name(`buffer_size_bytes{type="download"}`), bufferBuckets)

	// The pool may have registered workers, images_in_progress,
	// workers_utilization and queue_length in the same set already
	// (workers.Config.Metrics): GetOrCreate keeps its definitions.
	workers := float64(d.Pool.Size())
	p := d.Pool
	set.GetOrCreateGauge(m.name("workers"), func() float64 { return workers })
	set.GetOrCreateGauge(m.name("images_in_progress"), func() float64 { return float64(m.imagesProgress.Load()) })
	set.GetOrCreateGauge(m.name("workers_utilization"), func() float64 {
		return float64(m.inProgress.Load()) / workers * 100
	})
	set.GetOrCreateGauge(m.name("queue_length"), func() float64 { return float64(p.QueueLen()) })
	set.NewGauge(m.name("requests_in_progress"), func() float64 { return float64(m.inProgress.Load()) })
	if d.VipsMemStats != nil {
		stats := d.VipsMemStats
		set.NewGauge(m.name("vips_memory_bytes"), func() float64 { mem, _, _ := stats(); return float64(mem) })
		set.NewGauge(m.name("vips_max_memory_bytes"), func() float64 { _, hw, _ := stats(); return float64(hw) })
		set.NewGauge(m.name("vips_allocs"), func() float64 { _, _, n := stats(); return float64(n) })
	}
	return m
}

// countStatus increments status_codes_total{status}. Known codes use a
// pre-created counter; others are created once, then cached.
func (m *serverMetrics) countStatus(code int) {
	if code < 100 || code >= len(m.status) {
		code = 500
	}
	if c := m.status[code].Load(); c != nil {
		c.Inc()
		return
	}
	m.statusMu.Lock()
	c := m.status[code].Load()
	if c == nil {
		c = m.set.GetOrCreateCounter(m.name(`status_codes_total{status="` + strconv.Itoa(code) + `"}`))
		m.status[code].Store(c)
	}
	m.statusMu.Unlock()
	c.Inc()
}

func observe(h *metrics.PrometheusHistogram, d time.Duration) {
	h.Update(d.Seconds())
}

// WriteMetrics writes the Prometheus text exposition: the server's metric
// set followed by the Go runtime and process metrics (go_*, process_*).
// Safe for concurrent use; main serves it on IMGPROXY_PROMETHEUS_BIND.
func (s *Server) WriteMetrics(w io.Writer) {
	s.m.set.WritePrometheus(w)
	metrics.WriteProcessMetrics(w)
}
