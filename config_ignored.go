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
	"IMGPROXY_REPORT_DOWNLOADING_ERRORS":         "no error-tracker integrations",
	"IMGPROXY_HEALTH_CHECK_MESSAGE":              "imgproxy Pro; the body of /health is fixed",
	"IMGPROXY_USE_SWIFT":                         "OpenStack Swift sources are not supported",
	"IMGPROXY_COOKIE_PASSTHROUGH":                "cookie passthrough is not supported",
	"IMGPROXY_SYSLOG_ENABLE":                     "syslog output is not supported; collect stderr",
	"IMGPROXY_S3_USE_DECRYPTION_CLIENT":          "client-side-encrypted S3 objects are not supported",
	"IMGPROXY_S3_ASSUME_ROLE_ARN":                "use the AWS credential chain (AWS_ROLE_ARN) instead",
	"IMGPROXY_AUTOQUALITY_JPEG_NET":              "autoquality method ml is not available",
	"IMGPROXY_AUTOQUALITY_WEBP_NET":              "autoquality method ml is not available",
	"IMGPROXY_AUTOQUALITY_AVIF_NET":              "autoquality method ml is not available",
	"IMGPROXY_AUTOQUALITY_JXL_NET":               "autoquality method ml is not available",
}

// ignoredPrefixes cover families of integration and Pro variables.
var ignoredPrefixes = []string{
	"IMGPROXY_NEW_RELIC_", "IMGPROXY_DATADOG_", "IMGPROXY_OPEN_TELEMETRY_", "IMGPROXY_CLOUD_WATCH_",
	"IMGPROXY_BUGSNAG_", "IMGPROXY_HONEYBADGER_", "IMGPROXY_SENTRY_", "IMGPROXY_AIRBRAKE_",
	"IMGPROXY_SWIFT_", "IMGPROXY_SYSLOG_", "IMGPROXY_COOKIE_", "IMGPROXY_S3_ASSUME_ROLE_",
	"IMGPROXY_ENV_AWS_", "IMGPROXY_ENV_GCP_", "IMGPROXY_AUTOQUALITY_ML_",
}

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
