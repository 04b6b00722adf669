// Package newrelic reports requests to New Relic APM with the Go agent
// (github.com/newrelic/go-agent/v3) the way imgproxy does
// (IMGPROXY_NEW_RELIC_*, docs/monitoring.md#new-relic): a web transaction
// "request" per processing request with the segments "Queue",
// "Downloading source image" and "Processing image", errors noticed on the
// transaction, distributed-trace headers accepted from the caller and,
// when enabled, passed on to source requests, and imgproxy's gauges as
// custom metrics (Custom/imgproxy/...).
package newrelic

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/newrelic/go-agent/v3/newrelic"

	"github.com/imgedge/imgedge/monitoring"
	"github.com/imgedge/imgedge/options"
)

// Config configures the agent. The comments name the variable main reads
// for each field.
type Config struct {
	// Key is the license key; set = on (IMGPROXY_NEW_RELIC_KEY).
	Key string
	// AppName is the application name (IMGPROXY_NEW_RELIC_APP_NAME,
	// default imgproxy).
	AppName string
	// Labels tag the application (IMGPROXY_NEW_RELIC_LABELS,
	// "key=value;key2=value2"; see ParseLabels).
	Labels map[string]string
	// PropagateExternal inserts distributed-trace headers into source
	// requests (IMGPROXY_NEW_RELIC_PROPAGATE_EXTERNAL).
	PropagateExternal bool
	// MetricsInterval is the period of the custom metrics (10 s, as imgproxy).
	MetricsInterval time.Duration

	// Host and Transport override the collector host and the HTTP
	// transport (a proxy, or tests); no IMGPROXY_ variables.
	Host      string
	Transport http.RoundTripper
}

// DefaultConfig returns imgproxy's defaults (off).
func DefaultConfig() Config {
	return Config{AppName: "imgproxy", MetricsInterval: 10 * time.Second}
}

// ParseLabels parses "key=value;key2=value2" (empty items are skipped).
func ParseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ";") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q is not key=value", kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// Validate checks c (only when enabled); messages never include the key.
func (c *Config) Validate() error {
	if c.Key == "" {
		return nil
	}
	if c.AppName == "" {
		return options.ConfigErrorf("IMGPROXY_NEW_RELIC_APP_NAME", "must not be empty")
	}
	if c.MetricsInterval <= 0 {
		return options.ConfigErrorf("newrelic.Config.MetricsInterval", "must be > 0; got %s", c.MetricsInterval)
	}
	return nil
}

// Agent is a running New Relic agent. It implements monitoring.Tracer and
// is safe for concurrent use. Stop it at shutdown.
type Agent struct {
	cfg  Config
	app  *newrelic.Application
	stop chan struct{}
	done chan struct{}
}

// New starts the agent (it connects in the background) and the custom
// metrics; nil and no error when cfg.Key is empty.
func New(cfg Config, stats monitoring.StatsFunc) (*Agent, error) {
	if cfg.Key == "" {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	app, err := newrelic.NewApplication(
		newrelic.ConfigAppName(cfg.AppName),
		newrelic.ConfigLicense(cfg.Key),
		func(c *newrelic.Config) {
			if len(cfg.Labels) > 0 {
				c.Labels = cfg.Labels
			}
			if cfg.Host != "" {
				c.Host = cfg.Host
			}
			if cfg.Transport != nil {
				c.Transport = cfg.Transport
			}
		},
	)
	if err != nil {
		// The agent's messages name the setting ("license length is not
		// 40") without echoing the key.
		return nil, options.ConfigErrorf("IMGPROXY_NEW_RELIC_KEY", "%w", err)
	}
	a := &Agent{cfg: cfg, app: app, stop: make(chan struct{}), done: make(chan struct{})}
	go a.sendMetrics(stats)
	return a, nil
}

// WaitForConnection waits until the agent has connected to New Relic (or
// timeout); the agent buffers data meanwhile, so waiting is optional.
func (a *Agent) WaitForConnection(timeout time.Duration) error {
	return a.app.WaitForConnection(timeout)
}

// Stop stops the metrics and shuts the agent down, sending what it holds
// (within timeout).
func (a *Agent) Stop(timeout time.Duration) {
	close(a.stop)
	<-a.done
	a.app.Shutdown(timeout)
}

func (a *Agent) sendMetrics(stats monitoring.StatsFunc) {
	defer close(a.done)
	t := time.NewTicker(a.cfg.MetricsInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.RecordStats(stats)
		case <-a.stop:
			return
		}
	}
}

// RecordStats records one sample of imgproxy's gauges as custom metrics.
func (a *Agent) RecordStats(stats monitoring.StatsFunc) {
	var s monitoring.Snapshot
	if stats != nil {
		s = stats()
	}
	for _, m := range []struct {
		name string
		v    float64
	}{
		{"imgproxy/workers", float64(s.Workers)},
		{"imgproxy/requests_in_progress", s.RequestsInProgress},
		{"imgproxy/images_in_progress", s.ImagesInProgress},
		{"imgproxy/workers_utilization", s.WorkersUtilization()},
		{"imgproxy/vips/memory", s.VipsMemory},
		{"imgproxy/vips/max_memory", s.VipsMaxMemory},
		{"imgproxy/vips/allocs", s.VipsAllocs},
	} {
		a.app.RecordCustomMetric(m.name, m.v)
	}
}

// traceHeaders are the incoming headers the agent's distributed tracing
// reads (New Relic and W3C formats), probed by name.
var traceHeaders = []string{"newrelic", "traceparent", "tracestate"}

// StartRequest implements monitoring.Tracer: a web transaction "request".
func (a *Agent) StartRequest(ctx context.Context, method, uri string, header func(string) string) (context.Context, func(int, string, error)) {
	txn := a.app.StartTransaction("request")
	h := http.Header{}
	for _, k := range traceHeaders {
		if v := header(k); v != "" {
			h.Set(k, v)
		}
	}
	u, _ := url.ParseRequestURI(uri)
	if u == nil {
		u = &url.URL{Path: uri}
	}
	u.Host = header("Host")
	txn.SetWebRequest(newrelic.WebRequest{Header: h, URL: u, Method: method, Transport: newrelic.TransportHTTP, Host: u.Host})
	w := txn.SetWebResponse(nil) // records the status only
	return newrelic.NewContext(ctx, txn), func(status int, errType string, err error) {
		w.WriteHeader(status)
		if err != nil {
			txn.NoticeError(newrelic.Error{Message: err.Error(), Class: monitoring.ErrorClass(errType, err)})
		}
		txn.End()
	}
}

// Annotate implements monitoring.Tracer.
func (a *Agent) Annotate(ctx context.Context, kv ...string) {
	txn := newrelic.FromContext(ctx)
	if txn == nil {
		return
	}
	for i := 0; i+1 < len(kv); i += 2 {
		txn.AddAttribute(kv[i], kv[i+1])
	}
}

// StartSpan implements monitoring.Tracer: a segment with the stage's plain
// name, usable from another goroutine than the request's.
func (a *Agent) StartSpan(ctx context.Context, stage string, kv ...string) (context.Context, func()) {
	txn := newrelic.FromContext(ctx)
	if txn == nil {
		return ctx, func() {}
	}
	g := txn.NewGoroutine()
	seg := g.StartSegment(stage)
	for i := 0; i+1 < len(kv); i += 2 {
		seg.AddAttribute(kv[i], kv[i+1])
	}
	return newrelic.NewContext(ctx, g), seg.End
}

// Propagator returns a as a monitoring.Propagator when
// IMGPROXY_NEW_RELIC_PROPAGATE_EXTERNAL is on, else nil.
func (a *Agent) Propagator() monitoring.Propagator {
	if a == nil || !a.cfg.PropagateExternal {
		return nil
	}
	return a
}

// Inject implements monitoring.Propagator.
func (a *Agent) Inject(ctx context.Context, h http.Header) {
	if txn := newrelic.FromContext(ctx); txn != nil {
		txn.InsertDistributedTraceHeaders(h)
	}
}
