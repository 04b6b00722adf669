package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
)

// TestIntegrationsOff: with nothing configured nothing starts, and the
// source transport is not wrapped (no cost on the request path).
func TestIntegrationsOff(t *testing.T) {
	cfg := defaultIntegrationsConfig()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	in, err := startIntegrations(context.Background(), cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer in.stop(context.Background())
	if in.Tracer != nil || in.Reporter != nil {
		t.Fatalf("got tracer %v reporter %v; want none", in.Tracer, in.Reporter)
	}
	if rt := in.wrapTransport(http.DefaultTransport); rt != http.DefaultTransport {
		t.Fatal("the source transport is wrapped with no integration on")
	}
	base := slog.New(slog.NewTextHandler(io.Discard, nil))
	log, closeFn, err := withSyslog(base, cfg.Syslog, nil)
	if err != nil || log != base {
		t.Fatalf("syslog off: got %v, %v; want the base logger", log, err)
	}
	closeFn()
}

// TestWithSecretEnv: store values win over the environment; without a
// store the lookup is unchanged.
func TestWithSecretEnv(t *testing.T) {
	env := mapLookup(map[string]string{"IMGPROXY_TTL": "5"})
	got, names, err := withSecretEnv(context.Background(), env, envSecretsOptions{})
	if err != nil || names != nil {
		t.Fatalf("no store: got %v, %v", names, err)
	}
	if v, _ := got("IMGPROXY_TTL"); v != "5" {
		t.Fatalf("no store: IMGPROXY_TTL = %q; want 5", v)
	}

	isolateAWS(t)
	sm := awsJSONServer(t, func(string, map[string]any) (any, string) {
		return map[string]any{"SecretString": "IMGPROXY_TTL=60\nIMGPROXY_KEY=abc\n"}, ""
	})
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.URL)
	env = mapLookup(map[string]string{"IMGPROXY_TTL": "5", "IMGPROXY_SALT": "s", "IMGPROXY_ENV_AWS_SECRET_ID": "x"})
	got, names, err = withSecretEnv(context.Background(), env, envSecretsOptions{})
	if err != nil || len(names) != 2 {
		t.Fatalf("store: got names %q, %v; want the 2 stored", names, err)
	}
	for k, want := range map[string]string{"IMGPROXY_TTL": "60", "IMGPROXY_KEY": "abc", "IMGPROXY_SALT": "s"} {
		if v, _ := got(k); v != want {
			t.Errorf("%s = %q; want %q (store over environment)", k, v, want)
		}
	}
}
