package main

// The Observability section of the configuration table: logs (also to
// syslog), metrics and health checks.

import (
	"net"
	"strings"

	msyslog "github.com/imgedge/imgedge/monitoring/syslog"
	"github.com/imgedge/imgedge/options"
)

func observabilitySection(c *config) section {
	e, sl := &c.Edge, &c.Integrations.Syslog
	return section{
		title: "Observability",
		rows: []envVar{
			{name: "IMGPROXY_LOG_FORMAT", defDoc: "`pretty` on a terminal, else `structured`",
				help: "`pretty` (human-readable), `structured` (logfmt), `json`, or `gcp` (JSON with Google Cloud field names).",
				set:  setOneOf(&c.LogFormat, "pretty", "structured", "json", "gcp")},
			{name: "IMGPROXY_LOG_LEVEL", def: "info",
				help: "`error`, `warn`, `info` or `debug`.",
				set:  setOneOf(&c.LogLevel, "error", "warn", "info", "debug")},
			{name: "IMGPROXY_SYSLOG_ENABLE", def: "false",
				help: "Also send log lines to syslog (facility user, severity from the level), formatted like `IMGPROXY_LOG_FORMAT` (docs/monitoring.md).",
				set:  setBool(&sl.Enable)},
			{name: "IMGPROXY_SYSLOG_LEVEL", def: "info",
				help: "Lowest level sent to syslog: `debug`, `info`, `warn`, `error` or `crit`.",
				set: func(v string) (err error) {
					sl.Level, err = msyslog.ParseLevel(v)
					return err
				}},
			{name: "IMGPROXY_SYSLOG_NETWORK",
				help: "`udp`, `tcp`, `unix` or `unixgram` for a remote or socket daemon; empty = the local daemon.",
				set:  setOneOf(&sl.Network, "udp", "tcp", "unix", "unixgram")},
			{name: "IMGPROXY_SYSLOG_ADDRESS",
				help: "Daemon address (`host:port` or socket path); required with `IMGPROXY_SYSLOG_NETWORK`.",
				set:  setString(&sl.Address)},
			{name: "IMGPROXY_SYSLOG_TAG", def: "imgproxy",
				help: "Tag of the syslog messages.",
				set:  setString(&sl.Tag)},
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
