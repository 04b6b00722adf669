package main

// Starting and stopping the optional integrations (docs/monitoring.md):
// tracing and vendor metrics, error reporting and syslog. Each one is off
// unless its variables turn it on; with all off, startIntegrations returns
// an empty set whose tracer and reporter are nil, and edge makes no calls.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/imgedge/imgedge/edge"
	"github.com/imgedge/imgedge/monitoring"
	"github.com/imgedge/imgedge/monitoring/cloudwatch"
	"github.com/imgedge/imgedge/monitoring/datadog"
	"github.com/imgedge/imgedge/monitoring/errorreport"
	"github.com/imgedge/imgedge/monitoring/newrelic"
	"github.com/imgedge/imgedge/monitoring/otel"
	msyslog "github.com/imgedge/imgedge/monitoring/syslog"
	"github.com/imgedge/imgedge/vips"
	"github.com/imgedge/imgedge/workers"
)

// integrationsConfig is the configuration of every integration, filled
// from the table.
type integrationsConfig struct {
	OTel        otel.Config
	Datadog     datadog.Config
	NewRelic    newrelic.Config
	CloudWatch  cloudwatch.Config
	ErrorReport errorreport.Config
	Syslog      msyslog.Config
}

func defaultIntegrationsConfig() integrationsConfig {
	c := integrationsConfig{
		OTel:        otel.DefaultConfig(),
		Datadog:     datadog.DefaultConfig(),
		NewRelic:    newrelic.DefaultConfig(),
		CloudWatch:  cloudwatch.DefaultConfig(),
		ErrorReport: errorreport.DefaultConfig(),
		Syslog:      msyslog.DefaultConfig(),
	}
	c.OTel.ServiceVersion = version
	c.Datadog.Version = version
	c.ErrorReport.SentryRelease = "imgedge@" + version
	return c
}

// validate checks every integration's settings (the variables are named
// in the errors).
func (c *integrationsConfig) validate() error {
	return errors.Join(c.OTel.Validate(), c.Datadog.Validate(), c.NewRelic.Validate(),
		c.CloudWatch.Validate(), c.ErrorReport.Validate(), c.Syslog.Validate())
}

// integrations are the running integrations. Tracer and Reporter are nil
// when none of their kind is on.
type integrations struct {
	Tracer   monitoring.Tracer
	Reporter *errorreport.Reporter

	otel     *otel.Provider
	datadog  *datadog.Client
	newrelic *newrelic.Agent
	cw       *cloudwatch.Sender
	props    []monitoring.Propagator
}

// startIntegrations starts the configured tracing, metrics and error
// reporting. stats feeds the periodic gauges. On error, what was started
// is stopped again.
func startIntegrations(ctx context.Context, cfg integrationsConfig, stats monitoring.StatsFunc, log *slog.Logger) (in *integrations, err error) {
	in = &integrations{}
	defer func() {
		if err != nil {
			in.stop(context.Background())
			in = nil
		}
	}()
	if in.otel, err = otel.New(ctx, cfg.OTel, stats); err != nil {
		return in, err
	}
	if in.datadog, err = datadog.New(cfg.Datadog, stats); err != nil {
		return in, err
	}
	if in.newrelic, err = newrelic.New(cfg.NewRelic, stats); err != nil {
		return in, err
	}
	if in.cw, err = cloudwatch.New(ctx, cfg.CloudWatch, stats); err != nil {
		return in, err
	}
	in.Reporter, err = errorreport.New(cfg.ErrorReport, func(tracker string, err error) {
		log.Warn("error report not delivered", "tracker", tracker, "error", err)
	})
	if err != nil {
		return in, err
	}
	// Typed nils must not become non-nil interfaces.
	var tracers []monitoring.Tracer
	if in.otel != nil {
		tracers = append(tracers, in.otel)
		in.props = append(in.props, in.otel.Propagator())
	}
	if in.datadog != nil {
		tracers = append(tracers, in.datadog)
		in.props = append(in.props, in.datadog.Propagator())
	}
	if in.newrelic != nil {
		tracers = append(tracers, in.newrelic)
		in.props = append(in.props, in.newrelic.Propagator())
	}
	in.Tracer = monitoring.Join(tracers...)
	return in, nil
}

// integrationsStopTimeout bounds the flush of traces, metrics and error
// reports at shutdown.
const integrationsStopTimeout = 5 * time.Second

// names lists the running integrations (for the start-up log line).
func (in *integrations) names() []string {
	var out []string
	for _, x := range []struct {
		name string
		on   bool
	}{{"opentelemetry", in.otel != nil}, {"datadog", in.datadog != nil}, {"newrelic", in.newrelic != nil},
		{"cloudwatch", in.cw != nil}, {"error-reporting", in.Reporter != nil}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

// reporter is Reporter as an edge.ErrorReporter: nil (not a typed nil)
// when no tracker is configured.
func (in *integrations) reporter() edge.ErrorReporter {
	if in.Reporter == nil {
		return nil
	}
	return in.Reporter
}

// newLiveStats returns the gauges' source for the periodic metric senders
// and the function that connects it to the pool and the server once they
// exist; before that, the gauges are zero.
func newLiveStats() (monitoring.StatsFunc, func(*workers.Pool, *edge.Server)) {
	type parts struct {
		pool *workers.Pool
		srv  *edge.Server
	}
	var live atomic.Pointer[parts]
	stats := func() monitoring.Snapshot {
		p := live.Load()
		if p == nil {
			return monitoring.Snapshot{}
		}
		mem, high, allocs := vips.MemStats()
		return monitoring.Snapshot{
			Workers:            p.pool.Size(),
			RequestsInProgress: float64(p.srv.RequestsInProgress()),
			ImagesInProgress:   float64(p.pool.Busy()),
			VipsMemory:         float64(mem),
			VipsMaxMemory:      float64(high),
			VipsAllocs:         float64(allocs),
		}
	}
	return stats, func(pool *workers.Pool, srv *edge.Server) { live.Store(&parts{pool, srv}) }
}

// wrapTransport is fetch.Config.WrapTransport: it adds the trace headers of
// the integrations whose *_PROPAGATE_EXTERNAL is on to source requests.
func (in *integrations) wrapTransport(next http.RoundTripper) http.RoundTripper {
	return monitoring.Transport(next, in.props...)
}

// stop flushes and stops every running integration within ctx.
func (in *integrations) stop(ctx context.Context) {
	if in.Reporter != nil {
		in.Reporter.Close(ctx)
	}
	if in.cw != nil {
		in.cw.Stop(ctx)
	}
	if in.otel != nil {
		in.otel.Shutdown(ctx)
	}
	if in.datadog != nil {
		in.datadog.Stop()
	}
	if in.newrelic != nil {
		timeout := 5 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		in.newrelic.Stop(timeout)
	}
}

// withSyslog returns a logger that also writes to syslog when cfg turns it
// on, formatting lines like the stderr logger (format). The returned close
// function closes the syslog connection.
func withSyslog(base *slog.Logger, cfg msyslog.Config, format func(w io.Writer, level slog.Level) slog.Handler) (*slog.Logger, func(), error) {
	h, err := msyslog.New(cfg, format)
	if err != nil || h == nil {
		return base, func() {}, err
	}
	return slog.New(msyslog.Tee(base.Handler(), h)), func() { h.Close() }, nil
}

// withSecretEnv reads the secret stores selected through lookup
// (envsecrets.go) and returns a lookup in which their values win over
// lookup's, as in imgproxy.
func withSecretEnv(ctx context.Context, lookup lookupFunc, opts envSecretsOptions) (lookupFunc, []string, error) {
	vars, err := loadSecretEnv(ctx, lookup, opts)
	if err != nil || len(vars) == 0 {
		return lookup, nil, err
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	return func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v, true
		}
		return lookup(k)
	}, names, nil
}
