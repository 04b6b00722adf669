// Package otel sends request traces and, when enabled, metrics to an
// OpenTelemetry collector over OTLP (gRPC or HTTP/protobuf) with the
// OpenTelemetry Go SDK, the way imgproxy does (docs/monitoring.md#opentelemetry):
// a server span "/request" per processing request with the children
// "queue", "downloading_source_image", "processing_image" (and
// "streaming_image" for raw requests), trace context taken from the
// incoming request's headers and, when enabled, passed on to source
// requests.
//
// The SDK reads the standard OTEL_* variables it knows by itself
// (OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION,
// _INSECURE, _CERTIFICATE, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_BSP_*, ...); the ones it does not (the protocol choice and the
// propagators) and the IMGPROXY_OPEN_TELEMETRY_* settings come in Config,
// filled by main.
package otel

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/imgedge/imgedge/options"
)

// Protocols of OTEL_EXPORTER_OTLP_PROTOCOL (and the per-signal variables).
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// Config configures a Provider. Start from DefaultConfig. The comments
// name the variable main reads for each field.
type Config struct {
	// Enable turns traces on (IMGPROXY_OPEN_TELEMETRY_ENABLE, default false).
	Enable bool
	// EnableMetrics also sends metrics (IMGPROXY_OPEN_TELEMETRY_ENABLE_METRICS).
	EnableMetrics bool
	// Protocol is the OTLP transport, ProtocolGRPC (imgproxy's default) or
	// ProtocolHTTP (OTEL_EXPORTER_OTLP_PROTOCOL; "http" and "https" are
	// accepted as ProtocolHTTP by ParseProtocol).
	Protocol string
	// TracesProtocol and MetricsProtocol override Protocol per signal
	// (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL);
	// empty = Protocol.
	TracesProtocol, MetricsProtocol string
	// ServerCert is the collector's CA certificate, PEM
	// (IMGPROXY_OPEN_TELEMETRY_SERVER_CERT; literal "\n" sequences are read
	// as line breaks). Set = TLS with this root, even for a gRPC endpoint
	// written with http://.
	ServerCert string
	// ClientCert and ClientKey are a PEM client certificate and key for
	// mutual TLS (IMGPROXY_OPEN_TELEMETRY_CLIENT_CERT, _CLIENT_KEY); used
	// only with ServerCert.
	ClientCert, ClientKey string
	// TraceIDGenerator is "xray" (default: AWS X-Ray compatible IDs that
	// start with the time) or "random"
	// (IMGPROXY_OPEN_TELEMETRY_TRACE_ID_GENERATOR).
	TraceIDGenerator string
	// Propagators extract (and inject) trace context: names of
	// OTEL_PROPAGATORS such as tracecontext, baggage, b3, b3multi, jaeger,
	// xray, ottrace, none. Default tracecontext, baggage.
	Propagators []string
	// PropagateExternal adds the trace headers to source requests
	// (IMGPROXY_OPEN_TELEMETRY_PROPAGATE_EXTERNAL, default false).
	PropagateExternal bool
	// MetricsInterval is the export period of metrics (10 s, as imgproxy).
	MetricsInterval time.Duration
	// ServiceVersion is the service.version resource attribute.
	ServiceVersion string
}

// DefaultConfig returns imgproxy's defaults: off, gRPC, X-Ray IDs, W3C
// trace context and baggage, metrics every 10 s.
func DefaultConfig() Config {
	return Config{
		Protocol:         ProtocolGRPC,
		TraceIDGenerator: "xray",
		Propagators:      []string{"tracecontext", "baggage"},
		MetricsInterval:  10 * time.Second,
	}
}

// ParseProtocol maps the accepted spellings of an OTLP protocol to
// ProtocolGRPC or ProtocolHTTP; http/json is not supported.
func ParseProtocol(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "grpc":
		return ProtocolGRPC, nil
	case "http/protobuf", "http", "https":
		return ProtocolHTTP, nil
	}
	return "", fmt.Errorf("%q is not grpc or http/protobuf", s)
}

// Validate checks c (only when enabled) and names the variable behind a
// bad value.
func (c *Config) Validate() error {
	if !c.Enable {
		return nil
	}
	for _, p := range []struct{ name, v string }{
		{"OTEL_EXPORTER_OTLP_PROTOCOL", c.Protocol},
		{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", c.TracesProtocol},
		{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", c.MetricsProtocol},
	} {
		if p.v == "" && p.name != "OTEL_EXPORTER_OTLP_PROTOCOL" {
			continue
		}
		if p.v != ProtocolGRPC && p.v != ProtocolHTTP {
			return options.ConfigErrorf(p.name, "%q is not %s or %s", p.v, ProtocolGRPC, ProtocolHTTP)
		}
	}
	if c.TraceIDGenerator != "xray" && c.TraceIDGenerator != "random" {
		return options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_TRACE_ID_GENERATOR", "%q is not xray or random", c.TraceIDGenerator)
	}
	if c.EnableMetrics && c.MetricsInterval <= 0 {
		return options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_ENABLE_METRICS", "metrics interval must be > 0; got %s", c.MetricsInterval)
	}
	if _, err := c.tlsConfig(); err != nil {
		return err
	}
	return nil
}

// pemBytes turns the literal two characters `\n` into line breaks, so that a
// certificate fits in one environment variable.
func pemBytes(s string) []byte {
	return []byte(strings.ReplaceAll(s, `\n`, "\n"))
}

// tlsConfig builds the TLS settings of the exporters; nil = the SDK's own
// (OTEL_EXPORTER_OTLP_CERTIFICATE, ... or the system roots).
func (c *Config) tlsConfig() (*tls.Config, error) {
	if c.ServerCert == "" {
		if c.ClientCert != "" || c.ClientKey != "" {
			return nil, options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_CLIENT_CERT", "a client certificate needs IMGPROXY_OPEN_TELEMETRY_SERVER_CERT")
		}
		return nil, nil
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes(c.ServerCert)) {
		return nil, options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_SERVER_CERT", "no PEM certificate found")
	}
	tc := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if c.ClientCert == "" && c.ClientKey == "" {
		return tc, nil
	}
	cert, err := tls.X509KeyPair(pemBytes(c.ClientCert), pemBytes(c.ClientKey))
	if err != nil {
		return nil, options.ConfigErrorf("IMGPROXY_OPEN_TELEMETRY_CLIENT_CERT, IMGPROXY_OPEN_TELEMETRY_CLIENT_KEY", "%w", err)
	}
	tc.Certificates = []tls.Certificate{cert}
	return tc, nil
}
