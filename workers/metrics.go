package workers

import (
	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

// Metrics is where imgedge's parts register their Prometheus metrics: one
// VictoriaMetrics set and the namespace every metric name starts with
// (IMGPROXY_PROMETHEUS_NAMESPACE). main builds it once and hands the same
// value to the pool, which registers the pool gauges, and to edge, which
// registers the HTTP metrics and the coalescing counter; each metric has
// exactly one owner (docs/metrics.md). The zero value registers nothing.
// A Metrics value is read-only and safe to copy and share.
type Metrics struct {
	Set       *metrics.Set
	Namespace string
}

// Name returns name with the namespace prefix, joined the way Prometheus
// clients join namespaces ("ns_name"; no namespace = name unchanged). It is
// the one function that builds imgedge's metric names.
func (m Metrics) Name(name string) string {
	if m.Namespace == "" {
		return name
	}
	return m.Namespace + "_" + name
}

// Validate checks that the namespace can start a Prometheus metric name.
func (m Metrics) Validate() error {
	for i := 0; i < len(m.Namespace); i++ {
		c := m.Namespace[i]
		if c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return options.ConfigErrorf("IMGPROXY_PROMETHEUS_NAMESPACE", "%q is not a valid metric name prefix", m.Namespace)
	}
	return nil
}

// poolHelp documents the metrics the pool, the download stage and the group own, by name
// without the namespace, for the # HELP lines of the exposition.
var poolHelp = map[string]string{
	"workers":                        "Configured number of workers.",
	"images_in_progress":             "Images being processed on a worker.",
	"queue_length":                   "Requests waiting for a worker.",
	"queue_wait_seconds":             "Time requests waited for a worker in seconds.",
	"coalesced_requests_total":       "Requests that joined an identical request in flight instead of fetching and processing again.",
	"coalesce_window_hits_total":     "Requests served a result finished moments before for an identical request (the result window).",
	"coalesce_window_bytes":          "Bytes of finished results kept in the result window.",
	"memory_budget_bytes":            "Configured memory budget for processing in bytes.",
	"memory_reserved_bytes":          "Memory estimates of the jobs admitted to the workers in bytes.",
	"download_slots":                 "Configured number of concurrent source downloads.",
	"downloads_in_progress":          "Source downloads in progress.",
	"download_queue_length":          "Requests waiting for a download slot.",
	"download_memory_bytes":          "Configured bytes for sources being downloaded or waiting for a worker.",
	"download_memory_reserved_bytes": "Bytes reserved by sources being downloaded or waiting for a worker.",
}

// MetricHelp returns the help text of a metric the pool, the download
// stage or the group owns
// (name without the namespace), or "" for other names.
func MetricHelp(name string) string { return poolHelp[name] }
