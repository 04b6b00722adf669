package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/imgedge/imgedge/edge"
	"github.com/imgedge/imgedge/fetch"
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips"
)

// mapLookup turns a map into a lookupFunc.
func mapLookup(m map[string]string) lookupFunc {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func mustLoad(t *testing.T, env map[string]string) (*config, []string) {
	t.Helper()
	c, warns, err := loadConfig(mapLookup(env), nil)
	if err != nil {
		t.Fatalf("loadConfig(%v): %v", env, err)
	}
	return c, warns
}

func TestConfigTableRows(t *testing.T) {
	rows := table(newConfig())
	seen := map[string]bool{}
	titles := map[string]bool{}
	for _, s := range newConfig().sections() {
		if s.title == "" || titles[s.title] || len(s.rows) == 0 {
			t.Errorf("section %q: want a unique title and at least one row", s.title)
		}
		titles[s.title] = true
	}
	for _, r := range rows {
		if seen[r.name] {
			t.Errorf("%s: listed twice", r.name)
		}
		seen[r.name] = true
		for _, a := range r.aliases {
			if seen[a.name] {
				t.Errorf("%s: alias %s is also a name or another alias", r.name, a.name)
			}
			seen[a.name] = true
		}
		// OTEL_* and DD_*: the standard variables imgproxy reads itself
		// for OpenTelemetry and Datadog.
		if !hasAnyPrefix(r.name, "IMGPROXY_", "IMGEDGE_", "OTEL_", "DD_") {
			t.Errorf("%s: want the IMGPROXY_, IMGEDGE_, OTEL_ or DD_ prefix", r.name)
		}
		if r.help == "" || r.set == nil {
			t.Errorf("%s: help %q, set %v: want both", r.name, r.help, r.set != nil)
		}
	}
	if len(rows) < 100 {
		t.Errorf("table has %d rows; want the ~100 supported variables", len(rows))
	}
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Every documented default must parse, and an empty environment must give
// the defaults of docs/config.md.
func TestConfigDefaults(t *testing.T) {
	c, warns := mustLoad(t, nil)
	if len(warns) != 0 {
		t.Errorf("warnings for an empty environment: %q", warns)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Bind", c.Bind, ":8080"},
		{"Network", c.Network, "tcp"},
		{"Workers", c.Workers.Workers, runtime.NumCPU()},
		{"GracefulStop", c.GracefulStop, 20 * time.Second},
		{"RequestTimeout", c.Edge.RequestTimeout, 10 * time.Second},
		{"DownloadTimeout", c.Fetch.DownloadTimeout, 5 * time.Second},
		{"TTL", c.Edge.TTL, 31536000 * time.Second},
		{"UseETag", c.Edge.UseETag, true},
		{"Coalesce", c.Edge.Coalesce, true},
		{"MaxClients", c.Edge.MaxClients, 2048},
		{"Quality", c.Vips.Quality, 80},
		{"WebPQuality", c.Vips.FormatQuality[options.FormatWebP], 79},
		{"AVIFQuality", c.Vips.FormatQuality[options.FormatAVIF], 63},
		{"MaxSrcResolution", c.Parser.Defaults.Limits.MaxSrcResolution, int64(50_000_000)},
		{"MaxAnimationFrames", c.Parser.Defaults.Limits.MaxAnimationFrames, 1},
		{"StripMetadata", c.Parser.Defaults.StripMetadata, true},
		{"AutoRotate", c.Parser.Defaults.AutoRotate, true},
		{"AllowPrivate", c.Fetch.AllowPrivate, false},
		{"AllowLoopback", c.Fetch.AllowLoopback, false},
		{"LocalRoot", c.Fetch.LocalRoot, ""},
		{"SignatureSize", c.Sign.SignatureSize, 32},
		{"Keys", len(c.Sign.Keys), 0},
		{"UserAgent", c.Fetch.UserAgent, "imgproxy/%current_version"},
		{"SourceURLQuerySeparator", c.Fetch.SourceURLQuerySeparator, "?"},
		{"ArgumentsSeparator", c.Parser.ArgumentsSeparator, ":"},
		{"LogLevel", c.LogLevel, "info"},
		{"FreeMemoryInterval", c.FreeMemoryInterval, 10 * time.Second},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v; want %v", ck.name, ck.got, ck.want)
		}
	}
	if got := c.Edge.PreferredFormats; len(got) != 3 || got[0] != options.FormatJPEG || got[1] != options.FormatPNG || got[2] != options.FormatGIF {
		t.Errorf("PreferredFormats: got %v; want [jpeg png gif]", got)
	}
}

func TestConfigValues(t *testing.T) {
	root := t.TempDir()
	c, _ := mustLoad(t, map[string]string{
		"IMGPROXY_WORKERS":                    "3",
		"IMGPROXY_TIMEOUT":                    " 7 ",
		"IMGPROXY_KEY":                        "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881",
		"IMGPROXY_SALT":                       "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5",
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":      root,
		"IMGPROXY_FORMAT_QUALITY":             "webp=90",
		"IMGPROXY_MAX_SRC_RESOLUTION":         "12.5",
		"IMGPROXY_MAX_SRC_FILE_SIZE":          "1000",
		"IMGPROXY_USE_ETAG":                   "F",
		"IMGPROXY_PREFERRED_FORMATS":          "webp, png",
		"IMGPROXY_ALLOWED_SOURCES":            "http://a.example/, https://*.b.example/",
		"IMGPROXY_PRESETS":                    "thumb=rs:fill:100:100,default=q:70",
		"IMGPROXY_PATH_PREFIX":                "/img",
		"IMGPROXY_ENABLE_CLIENT_HINTS":        "true",
		"IMGPROXY_PROMETHEUS_NAMESPACE":       "ns",
		"IMGPROXY_SOURCE_URL_QUERY_SEPARATOR": "",
	})
	checks := []struct {
		name      string
		got, want any
	}{
		{"Workers (alias IMGPROXY_WORKERS)", c.Workers.Workers, 3},
		{"RequestTimeout", c.Edge.RequestTimeout, 7 * time.Second},
		{"Keys", len(c.Sign.Keys), 1},
		{"Key length", len(c.Sign.Keys[0]), 32},
		{"LocalRoot", c.Fetch.LocalRoot, root},
		{"WebP quality", c.Vips.FormatQuality[options.FormatWebP], 90},
		{"AVIF quality kept", c.Vips.FormatQuality[options.FormatAVIF], 63},
		{"MaxSrcResolution", c.Parser.Defaults.Limits.MaxSrcResolution, int64(12_500_000)},
		{"MaxSrcFileSize", c.Parser.Defaults.Limits.MaxSrcFileSize, int64(1000)},
		{"UseETag", c.Edge.UseETag, false},
		{"PreferredFormats", len(c.Edge.PreferredFormats), 2},
		{"AllowedSources", len(c.Parser.AllowedSources), 2},
		{"AllowedSources[1]", c.Parser.AllowedSources[1], "https://*.b.example/"},
		{"Presets", len(c.Parser.Presets), 2},
		{"PathPrefix", c.Parser.PathPrefix, "/img"},
		{"ClientHints", c.Parser.EnableClientHints, true},
		{"Namespace", c.Metrics.Namespace, "ns"},
		{"SourceURLQuerySeparator set-but-empty", c.Fetch.SourceURLQuerySeparator, ""},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v; want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestConfigAliases(t *testing.T) {
	c, warns := mustLoad(t, map[string]string{"IMGPROXY_CONCURRENCY": "4", "IMGPROXY_WORKERS": "9"})
	if c.Workers.Workers != 4 {
		t.Errorf("both set: got %d workers; want 4 (IMGPROXY_CONCURRENCY wins)", c.Workers.Workers)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "IMGPROXY_WORKERS is ignored") {
		t.Errorf("warnings: got %q; want one about IMGPROXY_WORKERS being ignored", warns)
	}

	c, warns = mustLoad(t, map[string]string{"IMGPROXY_READ_TIMEOUT": "3", "IMGPROXY_ENABLE_WEBP_DETECTION": "1"})
	if c.Edge.ReadRequestTimeout != 3*time.Second || !c.Edge.AutoWebP {
		t.Errorf("legacy names: got read timeout %v, auto webp %v; want 3s, true", c.Edge.ReadRequestTimeout, c.Edge.AutoWebP)
	}
	if len(warns) != 2 {
		t.Errorf("warnings: got %q; want two deprecation warnings", warns)
	}
	_, _, err := loadConfig(mapLookup(map[string]string{"IMGPROXY_READ_TIMEOUT": "3", "IMGPROXY_FAIL_ON_DEPRECATION": "true"}), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "IMGPROXY_READ_TIMEOUT:") {
		t.Errorf("FAIL_ON_DEPRECATION: got %v; want an error naming IMGPROXY_READ_TIMEOUT", err)
	}

	c, _ = mustLoad(t, map[string]string{"PORT": "9000"})
	if c.Bind != ":9000" {
		t.Errorf("PORT fallback: got bind %q; want :9000", c.Bind)
	}
	c, _ = mustLoad(t, map[string]string{"PORT": "9000", "IMGPROXY_BIND": "127.0.0.1:1"})
	if c.Bind != "127.0.0.1:1" {
		t.Errorf("IMGPROXY_BIND over PORT: got %q; want 127.0.0.1:1", c.Bind)
	}
	c, _ = mustLoad(t, map[string]string{"IMGPROXY_TIMEOUT": "  ", "IMGPROXY_USE_ETAG": ""})
	if c.Edge.RequestTimeout != 10*time.Second || !c.Edge.UseETag {
		t.Errorf("blank = default: got timeout %v, etag %v; want 10s, true", c.Edge.RequestTimeout, c.Edge.UseETag)
	}
}

// The environment file is read with imgproxy's dotenv rules (quotes,
// comments, escapes, ${NAME} from earlier lines) and wins over the process
// environment, like imgproxy's. The cases are those of docs/config.md.
func TestConfigEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imgedge.env")
	content := `# comment

IMGPROXY_TIMEOUT=4
export IMGPROXY_TTL="60"   # export prefix, quotes, comment
IMGPROXY_QUALITY='70'
IMGPROXY_ALLOW_ORIGIN=https://a.example # comment after a space
IMGPROXY_ETAG_BUSTER=v1#2
IMGPROXY_WATERMARK_PATH='/srv/wm #1.png'
ORIGIN=https://origin.example
IMGPROXY_BASE_URL="${ORIGIN}/images/"
IMGPROXY_HEALTH_CHECK_PATH="/a\"b\\c"
IMGPROXY_USER_AGENT='no\nescape $ORIGIN'
IMGPROXY_FALLBACK_IMAGE_PATH="line\nbreak"
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := mustLoad(t, map[string]string{"IMGPROXY_ENV_LOCAL_FILE_PATH": path, "IMGPROXY_QUALITY": "60", "IMGPROXY_KEEP_ALIVE_TIMEOUT": "7"})
	checks := []struct {
		name      string
		got, want any
	}{
		{"plain", c.Edge.RequestTimeout, 4 * time.Second},
		{"export, double quotes, comment", c.Edge.TTL, time.Minute},
		{"the file wins over the environment", c.Vips.Quality, 70},
		{"the environment fills what the file lacks", c.Edge.KeepAliveTimeout, 7 * time.Second},
		{"comment after an unquoted value", c.Edge.AllowOrigin, "https://a.example"},
		{"# without a space is part of the value", c.Edge.ETagBuster, "v1#2"},
		{"single quotes keep #", c.WatermarkPath, "/srv/wm #1.png"},
		{"${NAME} from an earlier line", c.Parser.BaseURL, "https://origin.example/images/"},
		{"double-quote escapes", c.Edge.HealthCheckPath, `/a"b\c`},
		{"single quotes are literal", c.Fetch.UserAgent, `no\nescape $ORIGIN`},
		{"escaped newline", c.FallbackPath, "line\nbreak"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q; want %q", ck.name, ck.got, ck.want)
		}
	}
	if err := os.WriteFile(path, []byte("IMGPROXY_TTL=\"unterminated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := loadConfig(mapLookup(map[string]string{"IMGPROXY_ENV_LOCAL_FILE_PATH": path}), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "IMGPROXY_ENV_LOCAL_FILE_PATH: ") {
		t.Errorf("unterminated quote: got %v; want an IMGPROXY_ENV_LOCAL_FILE_PATH error", err)
	}
}

func TestConfigUnknownVariables(t *testing.T) {
	_, warns, err := loadConfig(mapLookup(nil), []string{"IMGPROXY_TYPO=1", "IMGPROXY_OPEN_TELEMETRY_ENABLE_LOGS=true",
		"IMGPROXY_SENTRY_DSN=x", "HOME=/", "IMGPROXY_TIMEOUT=5"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "IMGPROXY_OPEN_TELEMETRY_ENABLE_LOGS is ignored") || !strings.Contains(warns[1], "IMGPROXY_TYPO is not a known variable") {
		t.Errorf("got warnings %q; want one for IMGPROXY_OPEN_TELEMETRY_ENABLE_LOGS and one for IMGPROXY_TYPO", warns)
	}
}

// Errors name the variable first and never contain secret values.
func TestConfigErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		env     map[string]string
		varName string
		secret  string
	}{
		{map[string]string{"IMGPROXY_CONCURRENCY": "many"}, "IMGPROXY_CONCURRENCY", ""},
		{map[string]string{"IMGPROXY_WORKERS": "0"}, "IMGPROXY_WORKERS", ""},
		{map[string]string{"IMGPROXY_KEY": "a1b", "IMGPROXY_SALT": "00"}, "IMGPROXY_KEY", "a1b"},
		{map[string]string{"IMGPROXY_KEY": "00", "IMGPROXY_SALT": "0g"}, "IMGPROXY_SALT", "0g"},
		{map[string]string{"IMGPROXY_KEY": "0011"}, "IMGPROXY_SALT", ""},
		{map[string]string{"IMGPROXY_SALT": "0011"}, "IMGPROXY_KEY", ""},
		{map[string]string{"IMGPROXY_KEY": "00,11", "IMGPROXY_SALT": "22"}, "IMGPROXY_SALT", ""},
		{map[string]string{"IMGPROXY_TIMEOUT": "-1"}, "IMGPROXY_TIMEOUT", ""},
		{map[string]string{"IMGPROXY_TIMEOUT": "0"}, "IMGPROXY_TIMEOUT", ""},
		{map[string]string{"IMGPROXY_DOWNLOAD_TIMEOUT": "1.5"}, "IMGPROXY_DOWNLOAD_TIMEOUT", ""},
		{map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": "/nonexistent/imgedge"}, "IMGPROXY_LOCAL_FILESYSTEM_ROOT", ""},
		{map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": file}, "IMGPROXY_LOCAL_FILESYSTEM_ROOT", ""},
		{map[string]string{"IMGPROXY_USE_ETAG": "yes please"}, "IMGPROXY_USE_ETAG", ""},
		{map[string]string{"IMGPROXY_LOG_FORMAT": "xml"}, "IMGPROXY_LOG_FORMAT", ""},
		{map[string]string{"IMGPROXY_QUALITY": "101"}, "IMGPROXY_QUALITY", ""},
		{map[string]string{"IMGPROXY_SIGNATURE_SIZE": "33"}, "IMGPROXY_SIGNATURE_SIZE", ""},
		{map[string]string{"IMGPROXY_FORMAT_QUALITY": "webp=good"}, "IMGPROXY_FORMAT_QUALITY", ""},
		{map[string]string{"IMGPROXY_PREFERRED_FORMATS": "jpeg,tif"}, "IMGPROXY_PREFERRED_FORMATS", ""},
		{map[string]string{"IMGPROXY_NETWORK": "udp"}, "IMGPROXY_NETWORK", ""},
		{map[string]string{"IMGPROXY_BIND": "8080"}, "IMGPROXY_BIND", ""},
		{map[string]string{"IMGPROXY_PATH_PREFIX": "img/"}, "IMGPROXY_PATH_PREFIX", ""},
		{map[string]string{"IMGPROXY_ENABLE_WEBP_DETECTION": "maybe"}, "IMGPROXY_ENABLE_WEBP_DETECTION", ""},
		{map[string]string{"PORT": "http"}, "PORT", ""},
		{map[string]string{"IMGPROXY_PRESETS": "novalue"}, "IMGPROXY_PRESETS", ""},
		{map[string]string{"IMGPROXY_PRESETS_PATH": "/nonexistent/presets"}, "IMGPROXY_PRESETS_PATH", ""},
		{map[string]string{"IMGPROXY_MAX_SRC_RESOLUTION": "-3"}, "IMGPROXY_MAX_SRC_RESOLUTION", ""},
		{map[string]string{"IMGPROXY_MAX_ANIMATION_FRAMES": "0"}, "IMGPROXY_MAX_ANIMATION_FRAMES", ""},
		{map[string]string{"IMGPROXY_WATERMARK_OPACITY": "2"}, "IMGPROXY_WATERMARK_OPACITY", ""},
		{map[string]string{"IMGPROXY_LAST_MODIFIED_BUSTER": "yesterday"}, "IMGPROXY_LAST_MODIFIED_BUSTER", ""},
		{map[string]string{"IMGPROXY_PROMETHEUS_BIND": ":8080"}, "IMGPROXY_PROMETHEUS_BIND", ""},
		{map[string]string{"IMGPROXY_ENV_LOCAL_FILE_PATH": "/nonexistent/env"}, "IMGPROXY_ENV_LOCAL_FILE_PATH", ""},
	} {
		_, _, err := loadConfig(mapLookup(tc.env), nil)
		if err == nil {
			t.Errorf("%v: got no error; want one naming %s", tc.env, tc.varName)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tc.varName+": ") {
			t.Errorf("%v: got %q; want it to start with %s: ", tc.env, msg, tc.varName)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%v: got a multi-line message %q", tc.env, msg)
		}
		if tc.secret != "" && strings.Contains(msg, tc.secret) {
			t.Errorf("%v: message %q reveals the secret value", tc.env, msg)
		}
	}
}

// docs/config.md is generated from the table and must not drift.
func TestConfigDocsUpToDate(t *testing.T) {
	var want bytes.Buffer
	writeConfigDocs(&want)
	got, err := os.ReadFile("docs/config.md")
	if err != nil {
		t.Fatalf("reading docs/config.md: %v (generate it with `make docs`)", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("docs/config.md differs from the config table (config.go, config_*.go); run `make docs` and commit it")
	}
	for _, r := range table(newConfig()) {
		if !bytes.Contains(got, []byte("`"+r.name+"`")) {
			t.Errorf("docs/config.md does not mention %s", r.name)
		}
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var b bytes.Buffer
	writeUsage(&b)
	for _, r := range table(newConfig()) {
		if !strings.Contains(b.String(), "  "+r.name+" (default ") {
			t.Errorf("usage does not list %s with its default", r.name)
		}
	}
}

func TestPrettyLogger(t *testing.T) {
	var b bytes.Buffer
	log := newLogger(&b, "pretty", "info", false)
	log.With("id", "r1").Info("hello world", "addr", "127.0.0.1:1", "msg", "has space")
	log.Debug("hidden")
	got := b.String()
	for _, want := range []string{"INFO  hello world", " id=r1", " addr=127.0.0.1:1", ` msg="has space"`} {
		if !strings.Contains(got, want) {
			t.Errorf("pretty line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "hidden") || strings.Count(got, "\n") != 1 {
		t.Errorf("got %q; want exactly one info line", got)
	}
}

// fieldDiffs lists the fields (recursively through structs) where a and b differ.
func fieldDiffs(prefix string, a, b reflect.Value, out map[string]bool) {
	for i := 0; i < a.NumField(); i++ {
		f := a.Type().Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() != "time" {
			fieldDiffs(prefix+f.Name+".", a.Field(i), b.Field(i), out)
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			out[prefix+f.Name] = true
		}
	}
}

// The configuration table is the one source of defaults: an empty
// environment gives exactly each package's DefaultConfig (which the
// packages' own tests use), so tests run with production settings.
func TestConfigDefaultsMatchPackages(t *testing.T) {
	c, _ := mustLoad(t, nil)
	got := map[string]bool{}
	fieldDiffs("edge.", reflect.ValueOf(c.Edge), reflect.ValueOf(edge.DefaultConfig()), got)
	fieldDiffs("fetch.", reflect.ValueOf(c.Fetch), reflect.ValueOf(fetch.DefaultConfig()), got)
	fieldDiffs("vips.", reflect.ValueOf(c.Vips), reflect.ValueOf(vips.DefaultConfig()), got)
	fieldDiffs("options.", reflect.ValueOf(c.Parser.Defaults), reflect.ValueOf(options.DefaultOptions()), got)
	fieldDiffs("integrations.", reflect.ValueOf(c.Integrations), reflect.ValueOf(defaultIntegrationsConfig()), got)
	for k := range got {
		t.Errorf("%s: the table's default differs from the package's default", k)
	}
}

// Starting from zero values, the table alone sets every default the
// packages define, except the settings no variable controls (listed).
// A package default without a row (or a row without its default) fails.
func TestDefaultsComeFromTable(t *testing.T) {
	c := &config{}
	for _, r := range table(c) {
		if _, err := r.apply(mapLookup(nil), func(string) {}); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
	}
	got := map[string]bool{}
	fieldDiffs("edge.", reflect.ValueOf(c.Edge), reflect.ValueOf(edge.DefaultConfig()), got)
	fieldDiffs("fetch.", reflect.ValueOf(c.Fetch), reflect.ValueOf(fetch.DefaultConfig()), got)
	fieldDiffs("vips.", reflect.ValueOf(c.Vips), reflect.ValueOf(vips.DefaultConfig()), got)
	fieldDiffs("options.", reflect.ValueOf(c.Parser.Defaults), reflect.ValueOf(options.DefaultOptions()), got)
	fieldDiffs("integrations.", reflect.ValueOf(c.Integrations), reflect.ValueOf(defaultIntegrationsConfig()), got)
	notFromEnv := map[string]bool{
		// Integrations: the export periods imgproxy fixes at 10 s, the
		// version tags, and the error-report queue.
		"integrations.OTel.MetricsInterval":     true,
		"integrations.OTel.ServiceVersion":      true,
		"integrations.Datadog.Version":          true,
		"integrations.Datadog.MetricsInterval":  true,
		"integrations.NewRelic.MetricsInterval": true,
		"integrations.CloudWatch.Interval":      true,
		"integrations.ErrorReport.QueueSize":    true,
		"fetch.SourceCacheTTL":                  true, // internal: how long a cached source is fresh
		"vips.MaxResultPixels":                  true, // internal guard against enlarge+dpr explosions
		"options.ZoomX":                         true, // URL-only options: 1 = unchanged
		"options.ZoomY":                         true,
		"options.Dpr":                           true,
	}
	for k := range got {
		if !notFromEnv[k] {
			t.Errorf("%s: the package's default does not come from the configuration table", k)
		}
	}
	for k := range notFromEnv {
		if !got[k] {
			t.Errorf("%s: now set by the table; remove it from notFromEnv", k)
		}
	}
}
