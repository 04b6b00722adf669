package otel

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/credentials"

	"github.com/imgedge/imgedge/monitoring"
	"github.com/imgedge/imgedge/options"
)

// RequestSpanName is the name of the server span of a request, as imgproxy
// names it.
const RequestSpanName = "/request"

// Attribute keys of the request span (OpenTelemetry semantic conventions
// v1.20, the version imgproxy writes).
const (
	attrHTTPMethod = "http.method"
	attrHTTPURL    = "http.url"
	attrHTTPStatus = "http.status_code"
	attrHost       = "net.host.name"
	attrUserAgent  = "user_agent.original"
)

// Provider is a running OpenTelemetry pipeline: tracer (and meter)
// providers with their OTLP exporters. It implements monitoring.Tracer and
// monitoring.Propagator and is safe for concurrent use. Build it with New,
// stop it with Shutdown (which flushes what is buffered).
type Provider struct {
	cfg    Config
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	mp     *sdkmetric.MeterProvider
	prop   propagation.TextMapPropagator
	m      *instruments // nil without metrics
}

// New starts the exporters and providers. It returns nil and no error when
// cfg.Enable is false. stats feeds the gauges when metrics are on (nil =
// only the request counters and Go runtime gauges).
func New(ctx context.Context, cfg Config, stats monitoring.StatsFunc) (*Provider, error) {
	if !cfg.Enable {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tc, _ := cfg.tlsConfig() // checked by Validate
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		slog.Warn("opentelemetry: "+err.Error(), "source", "opentelemetry")
	}))

	res, err := resource.New(ctx,
		// service.name defaults to imgproxy's; OTEL_SERVICE_NAME and
		// OTEL_RESOURCE_ATTRIBUTES (read by WithFromEnv) win over it.
		resource.WithAttributes(attribute.String("service.name", "imgproxy"), attribute.String("service.version", cfg.ServiceVersion)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil && res == nil {
		return nil, options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_ENABLE", "resource: %w", err)
	}

	p := &Provider{cfg: cfg}
	p.prop, err = autoprop.TextMapPropagator(cfg.Propagators...)
	if err != nil {
		return nil, options.ConfigErrorf("OTEL_PROPAGATORS", "%w", err)
	}
	texp, err := newTraceExporter(ctx, orDefault(cfg.TracesProtocol, cfg.Protocol), tc)
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithBatcher(texp)}
	if cfg.TraceIDGenerator == "xray" {
		opts = append(opts, sdktrace.WithIDGenerator(xray.NewIDGenerator()))
	}
	p.tp = sdktrace.NewTracerProvider(opts...)
	p.tracer = p.tp.Tracer("imgproxy")

	if cfg.EnableMetrics {
		mexp, err := newMetricExporter(ctx, orDefault(cfg.MetricsProtocol, cfg.Protocol), tc)
		if err != nil {
			p.tp.Shutdown(ctx)
			return nil, err
		}
		p.mp = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(cfg.MetricsInterval))))
		if p.m, err = newInstruments(p.mp.Meter("imgproxy"), stats); err != nil {
			p.Shutdown(ctx)
			return nil, options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_ENABLE_METRICS", "%w", err)
		}
	}
	return p, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// newTraceExporter builds the OTLP trace exporter; the endpoint, headers,
// timeout and compression come from the OTEL_EXPORTER_OTLP_* variables.
func newTraceExporter(ctx context.Context, protocol string, tc *tls.Config) (sdktrace.SpanExporter, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if protocol == ProtocolGRPC {
		var opts []otlptracegrpc.Option
		if tc != nil {
			opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tc)))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		var opts []otlptracehttp.Option
		if tc != nil {
			opts = append(opts, otlptracehttp.WithTLSClientConfig(tc))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, options.ConfigErrorf("OTEL_EXPORTER_OTLP_ENDPOINT", "cannot create the %s trace exporter: %w", protocol, err)
	}
	return exp, nil
}

func newMetricExporter(ctx context.Context, protocol string, tc *tls.Config) (sdkmetric.Exporter, error) {
	var (
		exp sdkmetric.Exporter
		err error
	)
	if protocol == ProtocolGRPC {
		var opts []otlpmetricgrpc.Option
		if tc != nil {
			opts = append(opts, otlpmetricgrpc.WithTLSCredentials(credentials.NewTLS(tc)))
		}
		exp, err = otlpmetricgrpc.New(ctx, opts...)
	} else {
		var opts []otlpmetrichttp.Option
		if tc != nil {
			opts = append(opts, otlpmetrichttp.WithTLSClientConfig(tc))
		}
		exp, err = otlpmetrichttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, options.ConfigErrorf("OTEL_EXPORTER_OTLP_ENDPOINT", "cannot create the %s metric exporter: %w", protocol, err)
	}
	return exp, nil
}

// Shutdown flushes buffered spans and metrics and stops the exporters,
// waiting at most until ctx is done. The Provider must not be used after.
func (p *Provider) Shutdown(ctx context.Context) error {
	var errs []error
	if p.tp != nil {
		errs = append(errs, p.tp.Shutdown(ctx))
	}
	if p.mp != nil {
		errs = append(errs, p.mp.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// headerCarrier reads incoming headers for the propagators.
type headerCarrier func(string) string

func (h headerCarrier) Get(key string) string { return h(key) }
func (headerCarrier) Set(string, string)      {}
func (headerCarrier) Keys() []string          { return nil }

// requestKey marks a context that holds a request span of this Provider.
type requestKey struct{}

// StartRequest implements monitoring.Tracer: it extracts the caller's trace
// context from the headers and starts the "/request" server span.
func (p *Provider) StartRequest(ctx context.Context, method, uri string, header func(string) string) (context.Context, func(int, string, error)) {
	ctx = p.prop.Extract(ctx, headerCarrier(header))
	attrs := []attribute.KeyValue{attribute.String(attrHTTPMethod, method), attribute.String(attrHTTPURL, uri)}
	if h := header("Host"); h != "" {
		attrs = append(attrs, attribute.String(attrHost, h))
	}
	if ua := header("User-Agent"); ua != "" {
		attrs = append(attrs, attribute.String(attrUserAgent, ua))
	}
	ctx, span := p.tracer.Start(ctx, RequestSpanName, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	ctx = context.WithValue(ctx, requestKey{}, p)
	if p.m != nil {
		p.m.requests.Add(ctx, 1)
	}
	start := time.Now()
	return ctx, func(status int, errType string, err error) {
		span.SetAttributes(attribute.Int(attrHTTPStatus, status))
		switch {
		case err != nil:
			span.RecordError(err, trace.WithAttributes(attribute.String("exception.type", monitoring.ErrorClass(errType, err))))
			span.SetStatus(codes.Error, err.Error())
		case status >= 500:
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
		if p.m != nil {
			p.m.endRequest(ctx, status, errType, err, time.Since(start))
		}
	}
}

// Annotate implements monitoring.Tracer.
func (p *Provider) Annotate(ctx context.Context, kv ...string) {
	if ctx.Value(requestKey{}) != p {
		return
	}
	trace.SpanFromContext(ctx).SetAttributes(kvAttrs(kv)...)
}

// StartSpan implements monitoring.Tracer: a child span named
// monitoring.SegmentName(stage).
func (p *Provider) StartSpan(ctx context.Context, stage string, kv ...string) (context.Context, func()) {
	if ctx.Value(requestKey{}) != p {
		return ctx, func() {}
	}
	name := monitoring.SegmentName(stage)
	ctx, span := p.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(kvAttrs(kv)...))
	start := time.Now()
	return ctx, func() {
		span.End()
		if p.m != nil {
			p.m.spanDuration.Record(ctx, time.Since(start).Seconds(), metricAttr("span", name))
		}
	}
}

func kvAttrs(kv []string) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, attribute.String(kv[i], kv[i+1]))
	}
	return out
}

// Propagator returns p as a monitoring.Propagator when
// IMGPROXY_OPEN_TELEMETRY_PROPAGATE_EXTERNAL is on, else nil.
func (p *Provider) Propagator() monitoring.Propagator {
	if p == nil || !p.cfg.PropagateExternal {
		return nil
	}
	return p
}

// Inject implements monitoring.Propagator: the configured propagators
// write the trace context of the span in ctx into h.
func (p *Provider) Inject(ctx context.Context, h http.Header) {
	if ctx.Value(requestKey{}) != p {
		return
	}
	p.prop.Inject(ctx, propagation.HeaderCarrier(h))
}
