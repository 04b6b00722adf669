package otel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/imgedge/imgedge/monitoring"
)

// instruments are imgproxy's OpenTelemetry metrics: request counters and
// histograms recorded as requests end, and gauges observed at each export.
type instruments struct {
	requests     metric.Int64Counter
	statusCodes  metric.Int64Counter
	errors       metric.Int64Counter
	duration     metric.Float64Histogram
	spanDuration metric.Float64Histogram
}

func metricAttr(k, v string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String(k, v))
}

func (m *instruments) endRequest(ctx context.Context, status int, errType string, err error, d time.Duration) {
	m.statusCodes.Add(ctx, 1, metricAttr("status", strconv.Itoa(status)))
	if err != nil {
		m.errors.Add(ctx, 1, metricAttr("type", errType))
	}
	m.duration.Record(ctx, d.Seconds())
}

// gauge is one observed value: name, unit, description, and how to read
// it from a snapshot and the Go runtime statistics.
type gauge struct {
	name, unit, desc string
	read             func(s *monitoring.Snapshot, ms *runtime.MemStats, proc *procMem) float64
}

var gauges = []gauge{
	{"workers", "1", "Size of the worker pool.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return float64(s.Workers) }},
	{"requests_in_progress", "1", "Processing requests being served now.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return s.RequestsInProgress }},
	{"images_in_progress", "1", "Images a worker is fetching or processing now.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return s.ImagesInProgress }},
	{"workers_utilization", "%", "Requests in progress per worker, in percent.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return s.WorkersUtilization() }},
	{"vips_memory_bytes", "By", "Bytes libvips tracks now.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return s.VipsMemory }},
	{"vips_max_memory_bytes", "By", "Highest number of bytes libvips has tracked.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return s.VipsMaxMemory }},
	{"vips_allocs", "1", "Live libvips allocations.",
		func(s *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 { return s.VipsAllocs }},
	{"process_resident_memory_bytes", "By", "Resident set size of the process.",
		func(_ *monitoring.Snapshot, _ *runtime.MemStats, p *procMem) float64 { return float64(p.rss) }},
	{"process_virtual_memory_bytes", "By", "Virtual memory size of the process.",
		func(_ *monitoring.Snapshot, _ *runtime.MemStats, p *procMem) float64 { return float64(p.vms) }},
	{"go_memstats_sys_bytes", "By", "Bytes the Go runtime got from the OS.",
		func(_ *monitoring.Snapshot, ms *runtime.MemStats, _ *procMem) float64 { return float64(ms.Sys) }},
	{"go_memstats_heap_idle_bytes", "By", "Go heap bytes in idle spans.",
		func(_ *monitoring.Snapshot, ms *runtime.MemStats, _ *procMem) float64 { return float64(ms.HeapIdle) }},
	{"go_memstats_heap_inuse_bytes", "By", "Go heap bytes in spans in use.",
		func(_ *monitoring.Snapshot, ms *runtime.MemStats, _ *procMem) float64 { return float64(ms.HeapInuse) }},
	{"go_goroutines", "1", "Goroutines now.",
		func(_ *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 {
			return float64(runtime.NumGoroutine())
		}},
	{"go_threads", "1", "OS threads the Go runtime created.",
		func(_ *monitoring.Snapshot, _ *runtime.MemStats, _ *procMem) float64 {
			n, _ := runtime.ThreadCreateProfile(nil)
			return float64(n)
		}},
}

func newInstruments(meter metric.Meter, stats monitoring.StatsFunc) (*instruments, error) {
	m := &instruments{}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	m.requests, err = meter.Int64Counter("requests_total", metric.WithUnit("1"),
		metric.WithDescription("Processing requests received."))
	add(err)
	m.statusCodes, err = meter.Int64Counter("status_codes_total", metric.WithUnit("1"),
		metric.WithDescription("Responses by status code."))
	add(err)
	m.errors, err = meter.Int64Counter("errors_total", metric.WithUnit("1"),
		metric.WithDescription("Failed requests by error type."))
	add(err)
	m.duration, err = meter.Float64Histogram("request_duration_seconds", metric.WithUnit("s"),
		metric.WithDescription("Time from request to response."))
	add(err)
	m.spanDuration, err = meter.Float64Histogram("request_span_duration_seconds", metric.WithUnit("s"),
		metric.WithDescription("Time spent in each request stage, by span name."))
	add(err)

	obs := make([]metric.Float64ObservableGauge, len(gauges))
	insts := make([]metric.Observable, len(gauges))
	for i, g := range gauges {
		obs[i], err = meter.Float64ObservableGauge(g.name, metric.WithUnit(g.unit), metric.WithDescription(g.desc))
		add(err)
		insts[i] = obs[i]
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var s monitoring.Snapshot
		if stats != nil {
			s = stats()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		p := readProcMem()
		for i, g := range gauges {
			o.ObserveFloat64(obs[i], g.read(&s, &ms, &p))
		}
		return nil
	}, insts...)
	if err != nil {
		return nil, fmt.Errorf("cannot register the gauges: %w", err)
	}
	return m, nil
}

// procMem is the process's memory from /proc/self/statm (zero elsewhere).
type procMem struct{ rss, vms uint64 }

func readProcMem() procMem {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return procMem{}
	}
	var size, resident uint64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		return procMem{}
	}
	page := uint64(os.Getpagesize())
	return procMem{rss: resident * page, vms: size * page}
}
