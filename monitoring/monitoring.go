// Package monitoring holds the vendor integrations for tracing, metrics and
// error reporting (OpenTelemetry, Datadog, New Relic, CloudWatch, Sentry,
// Bugsnag, Honeybadger, Airbrake) and syslog output, one sub-package each.
// The vendor SDKs are large and some pull in cgo-free but heavy runtime
// machinery, so they stay out of edge, fetch and workers: main builds the
// enabled integrations from their Config structs and hands them to edge
// through the small interfaces edge declares, which the types here
// satisfy. Every integration is off unless configured, and edge skips the
// calls entirely when none is on. docs/monitoring.md describes them.
//
// This package holds what the sub-packages share: the Tracer interface and
// its fan-out, the gauge snapshot the periodic metric senders report, and
// imgproxy's span and metric naming.
package monitoring

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Tracer is one tracing backend. Its methods take only standard types so
// that edge can declare the same interface without importing this
// package. Implementations are safe for concurrent use.
type Tracer interface {
	// StartRequest starts the server span (transaction) of an incoming
	// request. header returns the value of a request header (for trace
	// context propagation and attributes); it is only called before
	// StartRequest returns. The returned function ends the span with the
	// response status and, for a failed request, the error category
	// (errors_total's type label: "download", "processing", ...) and the
	// error; errType is "" and err nil on success. It must be called
	// exactly once.
	StartRequest(ctx context.Context, method, uri string, header func(name string) string) (context.Context, func(status int, errType string, err error))
	// Annotate adds attributes (key, value pairs) to the request span in ctx.
	Annotate(ctx context.Context, kv ...string)
	// StartSpan starts a child span of the span in ctx named after a stage
	// (SpanQueue, SpanDownload, ...), with attributes as key, value pairs.
	// The returned function ends it. Without a request span in ctx it does
	// nothing.
	StartSpan(ctx context.Context, name string, kv ...string) (context.Context, func())
}

// Span names as imgproxy emits them: its stage names ("Queue", "Downloading
// source image", ...) lower-cased with spaces replaced by underscores
// (SegmentName). New Relic segments keep the plain names.
const (
	StageQueue      = "Queue"
	StageDownload   = "Downloading source image"
	StageProcessing = "Processing image"
	StageStreaming  = "Streaming image"
)

// SegmentName formats a stage name as a span name: "Processing image" →
// "processing_image".
func SegmentName(stage string) string {
	return strings.ReplaceAll(strings.ToLower(stage), " ", "_")
}

// Attribute keys imgproxy sets on spans.
const (
	AttrSourceURL    = "imgproxy.source_image_url"
	AttrSourceOrigin = "imgproxy.source_image_origin"
	AttrOptions      = "imgproxy.options"
)

// ErrorClass names a failed request's error for the trackers as imgproxy
// does: "<errType>_error (<Go type>)", e.g. "download_error (*options.Error)".
func ErrorClass(errType string, err error) string {
	return fmt.Sprintf("%s_error (%T)", errType, err)
}

// Origin is the scheme and host of a source URL (the
// imgproxy.source_image_origin attribute); "" when it has none.
func Origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Tracers fans one call out to several backends. A nil or empty Tracers
// must not be used: edge keeps a nil Tracer when no backend is on.
type Tracers []Tracer

// Join returns nil for no tracers, the tracer itself for one, and a
// Tracers fan-out for several.
func Join(ts ...Tracer) Tracer {
	var out Tracers
	for _, t := range ts {
		if t != nil {
			out = append(out, t)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// StartRequest implements Tracer.
func (ts Tracers) StartRequest(ctx context.Context, method, uri string, header func(string) string) (context.Context, func(int, string, error)) {
	ends := make([]func(int, string, error), len(ts))
	for i, t := range ts {
		ctx, ends[i] = t.StartRequest(ctx, method, uri, header)
	}
	return ctx, func(status int, errType string, err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](status, errType, err)
		}
	}
}

// Annotate implements Tracer.
func (ts Tracers) Annotate(ctx context.Context, kv ...string) {
	for _, t := range ts {
		t.Annotate(ctx, kv...)
	}
}

// StartSpan implements Tracer.
func (ts Tracers) StartSpan(ctx context.Context, name string, kv ...string) (context.Context, func()) {
	ends := make([]func(), len(ts))
	for i, t := range ts {
		ctx, ends[i] = t.StartSpan(ctx, name, kv...)
	}
	return ctx, func() {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i]()
		}
	}
}

// Propagator injects trace context of the span in a request's context into
// outgoing source requests. Integrations with a "propagate external"
// setting implement it.
type Propagator interface {
	// Inject adds the trace headers of the span in ctx to h.
	Inject(ctx context.Context, h http.Header)
}

// Transport wraps next so that each outgoing request carries the trace
// headers of the span in its context, injected by every propagator (none
// = next itself). The request is cloned before its headers change, as a
// RoundTripper must not modify its input.
func Transport(next http.RoundTripper, ps ...Propagator) http.RoundTripper {
	var live []Propagator
	for _, p := range ps {
		if p != nil {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return next
	}
	return &propagating{next: next, ps: live}
}

type propagating struct {
	next http.RoundTripper
	ps   []Propagator
}

func (p *propagating) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	for _, pr := range p.ps {
		pr.Inject(r.Context(), r2.Header)
	}
	return p.next.RoundTrip(r2)
}

// Snapshot is one sample of the gauges that the periodic metric senders
// (Datadog, New Relic, CloudWatch, OpenTelemetry) report under imgproxy's
// names.
type Snapshot struct {
	Workers            int     // size of the worker pool
	RequestsInProgress float64 // processing requests being served
	ImagesInProgress   float64 // images being fetched or processed by a worker
	VipsMemory         float64 // bytes libvips tracks now
	VipsMaxMemory      float64 // highest VipsMemory so far
	VipsAllocs         float64 // live libvips allocations
}

// WorkersUtilization is RequestsInProgress per worker in percent, as
// imgproxy reports it (it exceeds 100 when requests queue).
func (s Snapshot) WorkersUtilization() float64 {
	if s.Workers == 0 {
		return 0
	}
	return s.RequestsInProgress / float64(s.Workers) * 100
}

// StatsFunc returns a current Snapshot; main builds it from the worker
// pool, edge's in-progress counters and libvips. It must be safe for
// concurrent use and cheap (it is called every metrics interval).
type StatsFunc func() Snapshot
