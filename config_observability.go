package main

// The Observability section of the configuration table: logs, metrics and
// health checks.

import (
	"net"
	"strings"

	"github.com/imgedge/imgedge/options"
)

func observabilitySection(c *config) section {
	e := &c.Edge
	return section{
		title: "Observability",
		rows: []envVar{
			{name: "IMGPROXY_LOG_FORMAT", defDoc: "`pretty` on a terminal, else `structured`",
				help: "`pretty` (human-readable), `structured` (logfmt), `json`, or `gcp` (JSON with Google Cloud field names).",
				set:  setOneOf(&c.LogFormat, "pretty", "structured", "json", "gcp")},
			{name: "IMGPROXY_LOG_LEVEL", def: "info",
				help: "`error`, `warn`, `info` or `debug`.",
				set:  setOneOf(&c.LogLevel, "error", "warn", "info", "debug")},
			{name: "IMGPROXY_PROMETHEUS_BIND",
				help: "Address of a separate Prometheus listener (every path serves the metrics); must differ from `IMGPROXY_BIND`. Empty = off.",
				set:  setString(&c.PrometheusBind)},
			{name: "IMGPROXY_PROMETHEUS_NAMESPACE",
				help: "Prefix of metric names (`<ns>_requests_total`).",
				set:  setString(&c.Metrics.Namespace)},
			{name: "IMGPROXY_HEALTH_CHECK_PATH",
				help: "Extra path answering like `/health`.",
				set:  setString(&e.HealthCheckPath)},
		},
		validate: func() error {
			if err := c.Metrics.Validate(); err != nil {
				return err
			}
			if c.PrometheusBind == "" {
				return nil
			}
			if _, _, err := net.SplitHostPort(c.PrometheusBind); err != nil {
				return options.ConfigErrorf("IMGPROXY_PROMETHEUS_BIND", "%q is not host:port", c.PrometheusBind)
			}
			if c.PrometheusBind == c.Bind && !strings.HasSuffix(c.Bind, ":0") {
				return options.ConfigErrorf("IMGPROXY_PROMETHEUS_BIND", "%q must differ from IMGPROXY_BIND", c.PrometheusBind)
			}
			return nil
		},
	}
}
