// Package datadog sends request traces to a Datadog Agent with
// dd-trace-go and, when enabled, imgproxy's gauges to its DogStatsD port
// with datadog-go (IMGPROXY_DATADOG_*, DD_*, docs/monitoring.md#datadog).
// Traces: a "request" span per processing request with the children
// "queue", "downloading_source_image", "processing_image"; trace context
// is taken from the incoming headers (Datadog, W3C and B3 styles, as
// dd-trace-go's propagator is configured by DD_TRACE_PROPAGATION_STYLE) and,
// when enabled, injected into source requests.
//
// dd-trace-go's tracer is process-global: at most one Client may run at
// a time.
package datadog

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/imgedge/imgedge/monitoring"
	"github.com/imgedge/imgedge/options"
)

// Config configures the client. The comments name the variable main reads
// for each field.
type Config struct {
	// Enable turns traces on (IMGPROXY_DATADOG_ENABLE, default false).
	Enable bool
	// EnableMetrics also sends gauges to DogStatsD
	// (IMGPROXY_DATADOG_ENABLE_ADDITIONAL_METRICS); only with Enable.
	EnableMetrics bool
	// PropagateExternal injects the trace headers into source requests
	// (IMGPROXY_DATADOG_PROPAGATE_EXTERNAL).
	PropagateExternal bool
	// Service is the service name (DD_SERVICE, default imgproxy).
	Service string
	// Version is the service version tag.
	Version string
	// TraceStartupLogs logs the tracer's configuration at start
	// (DD_TRACE_STARTUP_LOGS, default false).
	TraceStartupLogs bool
	// AgentHost, TracePort and StatsDPort locate the Agent (DD_AGENT_HOST,
	// default localhost; DD_TRACE_AGENT_PORT, default 8126;
	// DD_DOGSTATSD_PORT, default 8125).
	AgentHost             string
	TracePort, StatsDPort int
	// MetricsInterval is the period of the gauges (10 s, as imgproxy).
	MetricsInterval time.Duration
}

// DefaultConfig returns imgproxy's defaults (off).
func DefaultConfig() Config {
	return Config{Service: "imgproxy", AgentHost: "localhost", TracePort: 8126, StatsDPort: 8125,
		MetricsInterval: 10 * time.Second}
}

// Validate checks c (only when enabled) and names the variable behind a
// bad value.
func (c *Config) Validate() error {
	if !c.Enable {
		return nil
	}
	switch {
	case c.Service == "":
		return options.ConfigErrorf("DD_SERVICE", "must not be empty")
	case c.AgentHost == "":
		return options.ConfigErrorf("DD_AGENT_HOST", "must not be empty")
	case c.TracePort <= 0 || c.TracePort > 65535:
		return options.ConfigErrorf("DD_TRACE_AGENT_PORT", "%d is not a port", c.TracePort)
	case c.StatsDPort <= 0 || c.StatsDPort > 65535:
		return options.ConfigErrorf("DD_DOGSTATSD_PORT", "%d is not a port", c.StatsDPort)
	case c.EnableMetrics && c.MetricsInterval <= 0:
		return options.ConfigErrorf("IMGPROXY_DATADOG_ENABLE_ADDITIONAL_METRICS", "interval must be > 0; got %s", c.MetricsInterval)
	}
	return nil
}

// running guards the process-global tracer.
var running sync.Mutex

// Client is a running Datadog integration. It implements monitoring.Tracer
// and is safe for concurrent use. Stop it at shutdown.
type Client struct {
	cfg    Config
	statsd *statsd.Client // nil without metrics
	stop   chan struct{}
	done   chan struct{}
}

// New starts the tracer (and the gauges); nil and no error when cfg.Enable
// is false. It fails when another Client is running.
func New(cfg Config, stats monitoring.StatsFunc) (*Client, error) {
	if !cfg.Enable {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !running.TryLock() {
		return nil, options.ConfigErrorf("IMGPROXY_DATADOG_ENABLE", "the Datadog tracer is already running")
	}
	c := &Client{cfg: cfg}
	err := tracer.Start(
		tracer.WithService(cfg.Service),
		tracer.WithServiceVersion(cfg.Version),
		tracer.WithAgentAddr(net.JoinHostPort(cfg.AgentHost, strconv.Itoa(cfg.TracePort))),
		tracer.WithLogStartup(cfg.TraceStartupLogs),
		tracer.WithLogger(logger{}),
	)
	if err != nil {
		running.Unlock()
		return nil, options.ConfigErrorf("IMGPROXY_DATADOG_ENABLE", "cannot start the tracer: %w", err)
	}
	if cfg.EnableMetrics {
		addr := net.JoinHostPort(cfg.AgentHost, strconv.Itoa(cfg.StatsDPort))
		// One sample per interval: nothing to aggregate client-side.
		sc, err := statsd.New(addr, statsd.WithTags([]string{"service:" + cfg.Service, "version:" + cfg.Version}),
			statsd.WithoutClientSideAggregation())
		if err != nil {
			// imgproxy goes on without the gauges; so do we, loudly.
			slog.Warn("cannot start the DogStatsD client; Datadog gauges are off", "addr", addr, "error", err)
		} else {
			c.statsd = sc
			c.stop, c.done = make(chan struct{}), make(chan struct{})
			go c.sendGauges(stats)
		}
	}
	return c, nil
}

// logger routes the tracer's messages to slog.
type logger struct{}

func (logger) Log(msg string) { slog.Info(msg, "source", "datadog") }

// Stop flushes and stops the tracer and the gauges.
func (c *Client) Stop() {
	if c.statsd != nil {
		close(c.stop)
		<-c.done
		c.statsd.Close()
	}
	tracer.Flush()
	tracer.Stop()
	running.Unlock()
}

// sendGauges sends imgproxy's gauges every interval until Stop.
func (c *Client) sendGauges(stats monitoring.StatsFunc) {
	defer close(c.done)
	t := time.NewTicker(c.cfg.MetricsInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			var s monitoring.Snapshot
			if stats != nil {
				s = stats()
			}
			for _, g := range Gauges(s) {
				c.statsd.Gauge(g.Name, g.Value, nil, 1)
			}
		case <-c.stop:
			return
		}
	}
}

// Gauge is one DogStatsD gauge.
type Gauge struct {
	Name  string
	Value float64
}

// Gauges is a sample under imgproxy's DogStatsD names.
func Gauges(s monitoring.Snapshot) []Gauge {
	return []Gauge{
		{"imgproxy.workers", float64(s.Workers)},
		{"imgproxy.requests_in_progress", s.RequestsInProgress},
		{"imgproxy.images_in_progress", s.ImagesInProgress},
		{"imgproxy.workers_utilization", s.WorkersUtilization()},
		{"imgproxy.vips.memory", s.VipsMemory},
		{"imgproxy.vips.max_memory", s.VipsMaxMemory},
		{"imgproxy.vips.allocs", s.VipsAllocs},
	}
}

// propagationHeaders are the incoming headers the tracer's extractors may
// read (Datadog, W3C trace context, B3, baggage). The request's headers
// are probed by name because the Tracer interface gives a lookup, not a
// list.
var propagationHeaders = []string{
	"x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority", "x-datadog-origin", "x-datadog-tags",
	"traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags", "b3", "baggage",
}

// StartRequest implements monitoring.Tracer: the "request" span, a child
// of the caller's trace when the headers carry one.
func (c *Client) StartRequest(ctx context.Context, method, uri string, header func(string) string) (context.Context, func(int, string, error)) {
	carrier := tracer.TextMapCarrier{}
	for _, h := range propagationHeaders {
		if v := header(h); v != "" {
			carrier[h] = v
		}
	}
	opts := []tracer.StartSpanOption{tracer.Measured(), tracer.SpanType(ext.SpanTypeWeb),
		tracer.Tag(ext.HTTPMethod, method), tracer.Tag(ext.HTTPURL, uri)}
	if len(carrier) > 0 {
		if parent, err := tracer.Extract(carrier); err == nil {
			opts = append(opts, tracer.ChildOf(parent))
		}
	}
	span := tracer.StartSpan("request", opts...)
	return tracer.ContextWithSpan(ctx, span), func(status int, errType string, err error) {
		span.SetTag(ext.HTTPCode, strconv.Itoa(status))
		if err != nil {
			span.Finish(tracer.WithError(err))
			span.SetTag(ext.ErrorType, monitoring.ErrorClass(errType, err))
			return
		}
		span.Finish()
	}
}

// Annotate implements monitoring.Tracer.
func (c *Client) Annotate(ctx context.Context, kv ...string) {
	span, ok := tracer.SpanFromContext(ctx)
	if !ok {
		return
	}
	for i := 0; i+1 < len(kv); i += 2 {
		span.SetTag(kv[i], kv[i+1])
	}
}

// StartSpan implements monitoring.Tracer: a child span named
// monitoring.SegmentName(stage).
func (c *Client) StartSpan(ctx context.Context, stage string, kv ...string) (context.Context, func()) {
	parent, ok := tracer.SpanFromContext(ctx)
	if !ok {
		return ctx, func() {}
	}
	span := parent.StartChild(monitoring.SegmentName(stage), tracer.Measured())
	for i := 0; i+1 < len(kv); i += 2 {
		span.SetTag(kv[i], kv[i+1])
	}
	return tracer.ContextWithSpan(ctx, span), func() { span.Finish() }
}

// Propagator returns c as a monitoring.Propagator when
// IMGPROXY_DATADOG_PROPAGATE_EXTERNAL is on, else nil.
func (c *Client) Propagator() monitoring.Propagator {
	if c == nil || !c.cfg.PropagateExternal {
		return nil
	}
	return c
}

// Inject implements monitoring.Propagator.
func (c *Client) Inject(ctx context.Context, h http.Header) {
	if span, ok := tracer.SpanFromContext(ctx); ok {
		tracer.Inject(span.Context(), tracer.HTTPHeadersCarrier(h))
	}
}
