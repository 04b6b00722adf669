package main

// The Monitoring integrations section of the configuration table:
// OpenTelemetry, Datadog, New Relic, CloudWatch and the error trackers
// (docs/monitoring.md). Each is off unless its variables turn it on. The
// OTEL_* and DD_* rows are the standard variables imgproxy reads itself;
// the SDKs read their other standard variables on their own.

import (
	"github.com/imgedge/imgedge/monitoring/newrelic"
	"github.com/imgedge/imgedge/monitoring/otel"
)

func monitoringSection(c *config) section {
	in := &c.Integrations
	o, dd, nr, cw, er := &in.OTel, &in.Datadog, &in.NewRelic, &in.CloudWatch, &in.ErrorReport
	return section{
		title: "Monitoring integrations",
		rows: []envVar{
			{name: "IMGPROXY_OPEN_TELEMETRY_ENABLE", def: "false",
				help: "Send request traces (spans `/request`, `queue`, `downloading_source_image`, `processing_image`) over OTLP to `OTEL_EXPORTER_OTLP_ENDPOINT`; the SDK reads the other standard `OTEL_*` variables.",
				set:  setBool(&o.Enable)},
			{name: "IMGPROXY_OPEN_TELEMETRY_ENABLE_METRICS", def: "false",
				help: "Also send metrics (request counters and imgproxy's gauges) every 10 seconds.",
				set:  setBool(&o.EnableMetrics)},
			{name: "OTEL_EXPORTER_OTLP_PROTOCOL", def: "grpc", aliases: deprecated("IMGPROXY_OPEN_TELEMETRY_PROTOCOL"),
				help: "`grpc` or `http/protobuf` (`http`, `https` accepted).",
				set:  setProtocol(&o.Protocol)},
			{name: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
				help: "Protocol for traces; empty = `OTEL_EXPORTER_OTLP_PROTOCOL`.",
				set:  setProtocol(&o.TracesProtocol)},
			{name: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
				help: "Protocol for metrics; empty = `OTEL_EXPORTER_OTLP_PROTOCOL`.",
				set:  setProtocol(&o.MetricsProtocol)},
			{name: "OTEL_PROPAGATORS", def: "tracecontext,baggage", aliases: deprecated("IMGPROXY_OPEN_TELEMETRY_PROPAGATORS"),
				help: "Trace header formats read from requests (and written to sources): `tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, `xray`, `ottrace`, `none`.",
				set:  setList(&o.Propagators)},
			{name: "IMGPROXY_OPEN_TELEMETRY_TRACE_ID_GENERATOR", def: "xray",
				help: "`xray` (AWS X-Ray compatible ids, starting with the time) or `random`.",
				set:  setOneOf(&o.TraceIDGenerator, "xray", "random")},
			{name: "IMGPROXY_OPEN_TELEMETRY_PROPAGATE_EXTERNAL", def: "false",
				help: "Add the trace headers to source requests.",
				set:  setBool(&o.PropagateExternal)},
			{name: "IMGPROXY_OPEN_TELEMETRY_SERVER_CERT",
				help: "PEM certificate the collector's certificate must chain to (`\\n` may stand for line breaks); set = TLS.",
				set:  setString(&o.ServerCert)},
			{name: "IMGPROXY_OPEN_TELEMETRY_CLIENT_CERT",
				help: "PEM client certificate for mutual TLS with the collector.",
				set:  setString(&o.ClientCert)},
			{name: "IMGPROXY_OPEN_TELEMETRY_CLIENT_KEY", secret: true,
				help: "PEM key of that client certificate.",
				set:  setString(&o.ClientKey)},

			{name: "IMGPROXY_DATADOG_ENABLE", def: "false",
				help: "Send request traces to the Datadog Agent (dd-trace-go; it reads its other `DD_*` variables itself).",
				set:  setBool(&dd.Enable)},
			{name: "IMGPROXY_DATADOG_ENABLE_ADDITIONAL_METRICS", def: "false",
				help: "Also send imgproxy's gauges to DogStatsD every 10 seconds.",
				set:  setBool(&dd.EnableMetrics)},
			{name: "IMGPROXY_DATADOG_PROPAGATE_EXTERNAL", def: "false",
				help: "Add the trace headers to source requests.",
				set:  setBool(&dd.PropagateExternal)},
			{name: "DD_SERVICE", def: "imgproxy",
				help: "Datadog service name.",
				set:  setString(&dd.Service)},
			{name: "DD_AGENT_HOST", def: "localhost",
				help: "Host of the Datadog Agent.",
				set:  setString(&dd.AgentHost)},
			{name: "DD_TRACE_AGENT_PORT", def: "8126",
				help: "Trace port of the Agent.",
				set:  setInt(&dd.TracePort, 1, 65535)},
			{name: "DD_DOGSTATSD_PORT", def: "8125",
				help: "DogStatsD port of the Agent.",
				set:  setInt(&dd.StatsDPort, 1, 65535)},
			{name: "DD_TRACE_STARTUP_LOGS", def: "false",
				help: "Log the tracer's configuration at start-up.",
				set:  setBool(&dd.TraceStartupLogs)},

			{name: "IMGPROXY_NEW_RELIC_KEY", secret: true,
				help: "New Relic license key; set = report transactions and custom metrics with the Go agent.",
				set:  setString(&nr.Key)},
			{name: "IMGPROXY_NEW_RELIC_APP_NAME", def: "imgproxy",
				help: "New Relic application name.",
				set:  setString(&nr.AppName)},
			{name: "IMGPROXY_NEW_RELIC_LABELS",
				help: "Labels `key=value;key2=value2`.",
				set: func(v string) (err error) {
					nr.Labels, err = newrelic.ParseLabels(v)
					return err
				}},
			{name: "IMGPROXY_NEW_RELIC_PROPAGATE_EXTERNAL", def: "false",
				help: "Add distributed-trace headers to source requests.",
				set:  setBool(&nr.PropagateExternal)},

			{name: "IMGPROXY_CLOUD_WATCH_SERVICE_NAME",
				help: "Set = send imgproxy's gauges to Amazon CloudWatch every 10 seconds, with this `ServiceName` dimension.",
				set:  setString(&cw.ServiceName)},
			{name: "IMGPROXY_CLOUD_WATCH_NAMESPACE", def: "imgproxy",
				help: "CloudWatch namespace of the metrics.",
				set:  setString(&cw.Namespace)},
			{name: "IMGPROXY_CLOUD_WATCH_REGION", defDoc: "`AWS_REGION`, else `us-west-1`",
				help: "CloudWatch region.",
				set:  setString(&cw.Region)},

			{name: "IMGPROXY_REPORT_DOWNLOADING_ERRORS", def: "true",
				help: "With an error tracker: also report source failures answered with 502 or 504 (internal errors and panics are always reported; client errors never).",
				set:  setBool(&c.Edge.ReportDownloadingErrors)},
			{name: "IMGPROXY_SENTRY_DSN", secret: true,
				help: "Sentry DSN; set = report internal errors to Sentry.",
				set:  setString(&er.SentryDSN)},
			{name: "IMGPROXY_SENTRY_ENVIRONMENT", def: "production",
				help: "Sentry environment.",
				set:  setString(&er.SentryEnvironment)},
			{name: "IMGPROXY_SENTRY_RELEASE", defFunc: func() string { return "imgedge@" + version }, defDoc: "`imgedge@<version>`",
				help: "Sentry release.",
				set:  setString(&er.SentryRelease)},
			{name: "IMGPROXY_BUGSNAG_KEY", secret: true,
				help: "Bugsnag API key; set = report internal errors to Bugsnag.",
				set:  setString(&er.BugsnagKey)},
			{name: "IMGPROXY_BUGSNAG_STAGE", def: "production",
				help: "Bugsnag release stage.",
				set:  setString(&er.BugsnagStage)},
			{name: "IMGPROXY_HONEYBADGER_KEY", secret: true,
				help: "Honeybadger API key; set = report internal errors to Honeybadger.",
				set:  setString(&er.HoneybadgerKey)},
			{name: "IMGPROXY_HONEYBADGER_ENV", def: "production",
				help: "Honeybadger environment.",
				set:  setString(&er.HoneybadgerEnv)},
			{name: "IMGPROXY_AIRBRAKE_PROJECT_ID", def: "0",
				help: "Airbrake project id.",
				set:  setInt64(&er.AirbrakeProjectID)},
			{name: "IMGPROXY_AIRBRAKE_PROJECT_KEY", secret: true,
				help: "Airbrake project key; set (with the id) = report internal errors to Airbrake.",
				set:  setString(&er.AirbrakeProjectKey)},
			{name: "IMGPROXY_AIRBRAKE_ENV", def: "production", aliases: []alias{{name: "IMGPROXY_AIRBRAKE_ENVIRONMENT"}},
				help: "Airbrake environment.",
				set:  setString(&er.AirbrakeEnv)},
		},
		validate: in.validate,
	}
}

// setProtocol parses an OTLP protocol name (otel.ParseProtocol).
func setProtocol(dst *string) func(string) error {
	return func(v string) (err error) {
		*dst, err = otel.ParseProtocol(v)
		return err
	}
}
