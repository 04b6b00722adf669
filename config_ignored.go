package main

// Variables that imgedge accepts without implementing them, and the
// warnings about unknown variables. An integration that implements one of
// these adds its rows to a section file and removes its entry here.

import (
	"fmt"
	"strings"
)

// ignoredVars are imgproxy variables imgedge knows but does not implement:
// they are accepted with a warning so that an imgproxy environment starts.
var ignoredVars = map[string]string{
	"IMGPROXY_DOWNLOAD_BUFFER_SIZE":              "removed in imgproxy 4; no effect",
	"IMGPROXY_BUFFER_POOL_CALIBRATION_THRESHOLD": "removed in imgproxy 4; no effect",
	"IMGPROXY_REPORT_IO_ERRORS":                  "errors writing to clients are not reported to error trackers",
	"IMGPROXY_HEALTH_CHECK_MESSAGE":              "imgproxy Pro; the body of /health is fixed",
	"IMGPROXY_AUTOQUALITY_JPEG_NET":              "autoquality method ml is not available",
	"IMGPROXY_AUTOQUALITY_WEBP_NET":              "autoquality method ml is not available",
	"IMGPROXY_AUTOQUALITY_AVIF_NET":              "autoquality method ml is not available",
	"IMGPROXY_AUTOQUALITY_JXL_NET":               "autoquality method ml is not available",
	"IMGPROXY_OPEN_TELEMETRY_ENABLE_LOGS":        "OpenTelemetry log export is not supported; collect the log lines",
	"IMGPROXY_OPEN_TELEMETRY_LOGGER_NAME":        "OpenTelemetry log export is not supported",
	"IMGPROXY_OPEN_TELEMETRY_ENDPOINT":           "imgproxy 3 name; set OTEL_EXPORTER_OTLP_ENDPOINT",
	"IMGPROXY_OPEN_TELEMETRY_SERVICE_NAME":       "imgproxy 3 name; set OTEL_SERVICE_NAME",
	"IMGPROXY_OPEN_TELEMETRY_GRPC_INSECURE":      "imgproxy 3 name; use an http:// endpoint or OTEL_EXPORTER_OTLP_INSECURE",
	"IMGPROXY_OPEN_TELEMETRY_CONNECTION_TIMEOUT": "imgproxy 3 name; set OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds)",
}

// ignoredPrefixes cover families of Pro variables.
var ignoredPrefixes = []string{"IMGPROXY_AUTOQUALITY_ML_"}

// unknownVars warns about IMGPROXY_*/IMGEDGE_* variables imgedge does not use.
func unknownVars(rows []envVar, environ []string) []string {
	known := map[string]bool{"IMGPROXY_ENV_LOCAL_FILE_PATH": true}
	for i := range rows {
		known[rows[i].name] = true
		for _, a := range rows[i].aliases {
			known[a.name] = true
		}
	}
	seen := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "IMGPROXY_") && !strings.HasPrefix(k, "IMGEDGE_") || known[k] {
			continue
		}
		seen[k] = true
	}
	var out []string
	for _, k := range sortedKeys(seen) {
		if why, ok := ignoredVars[k]; ok {
			out = append(out, fmt.Sprintf("%s is ignored: %s", k, why))
			continue
		}
		ignored := false
		for _, p := range ignoredPrefixes {
			if strings.HasPrefix(k, p) {
				ignored = true
				break
			}
		}
		if ignored {
			out = append(out, fmt.Sprintf("%s is ignored: not supported by imgedge", k))
		} else {
			out = append(out, fmt.Sprintf("%s is not a known variable; ignored (see imgedge -h)", k))
		}
	}
	return out
}
