package edge

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/workers"
)

// promBuckets are the Prometheus client default buckets imgproxy's
// histograms use (docs/metrics.md), so dashboards built on
// `_bucket{le=...}` keep working.
var promBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// bufferBuckets are imgproxy's buffer_size_bytes buckets: 1024·2^k, 14 buckets.
var bufferBuckets = metrics.ExponentialBuckets(1024, 2, 14)

// knownStatuses get their status_codes_total counter at start-up so the hot
// path never formats a metric name.
var knownStatuses = []int{200, 206, 304, 400, 403, 404, 410, 416, 422, 429, 499, 500, 502, 503, 504}

// serverMetrics holds the metrics edge owns (docs/metrics.md), created
// once in New: the HTTP request metrics, requests_in_progress and
// workers_utilization. The pool owns its gauges (workers,
// images_in_progress, queue_length, queue_wait_seconds) and the group its
// counter; all share one set.
type serverMetrics struct {
	reg workers.Metrics
	set *metrics.Set

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

	inProgress atomic.Int64 // requests_in_progress
}

func (m *serverMetrics) name(s string) string { return m.reg.Name(s) }

func newServerMetrics(reg workers.Metrics, d *Deps) *serverMetrics {
	set := reg.Set
	m := &serverMetrics{reg: reg, set: set}
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

	set.NewGauge(m.name("requests_in_progress"), func() float64 { return float64(m.inProgress.Load()) })
	// imgproxy's definition: processing requests in progress (queued,
	// running or joined to a coalesced one) per worker, in percent; it
	// exceeds 100 when requests wait.
	workerCount := float64(d.Pool.Size())
	set.NewGauge(m.name("workers_utilization"), func() float64 {
		return float64(m.inProgress.Load()) / workerCount * 100
	})
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
// set (with the pool's and the coalescing group's metrics when they share
// it) followed by the Go runtime and process metrics (go_*, process_*).
// Every family gets a HELP text and families that Prometheus' linter
// rejects (misnamed counters of the runtime collector) are left out, so
// `promtool check metrics` accepts the output. Safe for concurrent use;
// main serves it on IMGPROXY_PROMETHEUS_BIND (any path).
func (s *Server) WriteMetrics(w io.Writer) {
	var buf bytes.Buffer
	s.m.set.WritePrometheus(&buf)
	metrics.WriteProcessMetrics(&buf)
	out := make([]byte, 0, buf.Len()+4096)
	data := buf.Bytes()
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		name := metricLineName(line)
		if skipFamily(name) {
			continue
		}
		out = append(out, line...)
		if bytes.HasPrefix(line, []byte("# HELP ")) && len(bytes.TrimSpace(line[7:])) == len(name) {
			out = append(out, ' ')
			out = append(out, s.m.help(name)...)
		}
		out = append(out, '\n')
	}
	w.Write(out)
}

// metricLineName returns the metric name of a sample or # HELP/# TYPE line.
func metricLineName(line []byte) string {
	if bytes.HasPrefix(line, []byte("# HELP ")) || bytes.HasPrefix(line, []byte("# TYPE ")) {
		line = line[7:]
	}
	if i := bytes.IndexAny(line, "{ "); i >= 0 {
		line = line[:i]
	}
	return string(line)
}

// skipFamily drops runtime-collector families whose names break the
// Prometheus naming rules ("_count" counters, "_total" gauges); imgproxy's
// Go client does not expose them either.
func skipFamily(name string) bool {
	switch name {
	case "go_cgo_calls_count", "go_cpu_count", "go_gc_forced_count":
		return true
	}
	return strings.HasPrefix(name, "process_io_")
}

var helpTexts = map[string]string{
	"requests_total":                "Total number of processing requests.",
	"status_codes_total":            "Processing responses by HTTP status code.",
	"errors_total":                  "Errors by type.",
	"request_duration_seconds":      "Processing request latency in seconds.",
	"request_span_duration_seconds": "Duration of request spans (queue, downloading_source_image, processing_image, streaming_image) in seconds.",
	"download_duration_seconds":     "Source download duration in seconds (imgproxy v3 name).",
	"processing_duration_seconds":   "Image processing duration in seconds (imgproxy v3 name).",
	"buffer_size_bytes":             "Size of downloaded source images in bytes.",
	"requests_in_progress":          "Processing requests in flight.",
	"workers_utilization":           "Processing requests in flight per worker, percent (over 100 when requests wait).",
	"fallback_images_total":         "Responses that carried the fallback image.",
	"not_modified_total":            "304 Not Modified responses.",
	"vips_memory_bytes":             "Memory tracked by libvips in bytes.",
	"vips_max_memory_bytes":         "High-water mark of libvips tracked memory in bytes.",
	"vips_allocs":                   "Live libvips allocations.",
	"decode_cache_hits_total":       "Requests that used a decoded source from the decode cache (IMGEDGE_DECODE_CACHE_SIZE).",
	"decode_cache_misses_total":     "Requests that decoded their source themselves and offered it to the decode cache.",
	"decode_cache_bytes":            "Decoded source pixels held by the decode cache, in bytes.",
	"decode_cache_entries":          "Decoded sources held by the decode cache.",
}

func (m *serverMetrics) help(name string) string {
	short := name
	if m.reg.Namespace != "" {
		short = strings.TrimPrefix(name, m.reg.Namespace+"_")
	}
	if h, ok := helpTexts[short]; ok {
		return h
	}
	if h := workers.MetricHelp(short); h != "" {
		return h
	}
	switch {
	case strings.HasPrefix(name, "go_"):
		return "Go runtime metric " + name + "."
	case strings.HasPrefix(name, "process_"):
		return "Process metric " + name + "."
	}
	return "imgedge metric " + name + "."
}
