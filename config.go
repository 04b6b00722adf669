package main

// config.go holds THE configuration table: every environment variable
// imgedge reads, with its default, meaning, parser and destination. It is
// the single source for
//   - start-up parsing (loadConfig) and every default value,
//   - `imgedge -h` (writeUsage),
//   - docs/config.md (`go run . -gen-config-docs`, checked by
//     TestConfigDocsUpToDate).
//
// The table is split by section, one file each (config_server.go,
// config_security.go, ...): a section lists its rows and may add a resolve
// step (values derived from several rows or from files) and a validate
// step (checks across rows). To add variables, add rows to the section
// they belong to, or a new section file listed in sectionFuncs.
//
// Only package main reads the environment; values land in the Config
// structs of the packages that use them (edge.Config, fetch.Config, ...),
// each value in exactly one place.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/imgedge/imgedge/edge"
	"github.com/imgedge/imgedge/fetch"
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/vips"
	"github.com/imgedge/imgedge/workers"
)

// config is everything parsed from the environment at start-up.
type config struct {
	// Server settings owned by main.
	Bind               string
	Network            string
	ReusePort          bool
	GracefulStop       time.Duration
	FreeMemoryInterval time.Duration
	LogFormat          string // pretty, structured, json, gcp
	LogLevel           string // error, warn, info, debug
	PrometheusBind     string
	// Metrics carries IMGPROXY_PROMETHEUS_NAMESPACE; serve adds the set
	// and hands the same value to the pool and edge.
	Metrics           workers.Metrics
	FailOnDeprecation bool
	EnvFile           string

	// Sources of images loaded by main at start-up (first non-empty wins).
	WatermarkData, WatermarkPath, WatermarkURL string
	FallbackData, FallbackPath, FallbackURL    string

	// Secrets records the secret-store settings (read through the lookup
	// before the table, by loadSecretEnv).
	Secrets secretStores
	// Integrations are the monitoring, error-reporting and syslog settings.
	Integrations integrationsConfig

	Edge    edge.Config
	Fetch   fetch.Config
	Sign    sign.Config
	Workers workers.Config
	Parser  options.ParserConfig
	Vips    vips.Config
	raw     procRaw
}

// procRaw holds processing variables that need a second step (files,
// cross-variable parsing) before they land in options.ParserConfig.
type procRaw struct {
	Presets          string
	PresetsSeparator string
	PresetsPath      string
}

// section is one part of the configuration table: its title in
// docs/config.md and `imgedge -h`, its rows, and the steps that need more
// than one row. Sections are built by the functions in sectionFuncs, with
// destinations in one config.
type section struct {
	title string
	rows  []envVar
	// resolve derives values once every row of every section is read
	// (files, cross-variable parsing, clamping). nil = nothing to derive.
	resolve func(lookup lookupFunc) error
	// validate checks values across rows once every section is resolved.
	// nil = nothing to check beyond the rows and the packages' Validate.
	validate func() error
}

// sectionFuncs build the sections in documentation order.
var sectionFuncs = []func(c *config) section{
	serverSection,
	securitySection,
	sourcesSection,
	processingSection,
	formatsSection,
	proSection,
	responseSection,
	proSourcesSection,
	observabilitySection,
	monitoringSection,
	imgedgeSection,
}

func (c *config) sections() []section {
	out := make([]section, len(sectionFuncs))
	for i, f := range sectionFuncs {
		out[i] = f(c)
	}
	return out
}

// table returns every row of the configuration table, in documentation
// order, with destinations in c.
func table(c *config) []envVar {
	var rows []envVar
	for _, s := range c.sections() {
		rows = append(rows, s.rows...)
	}
	return rows
}

// newConfig returns a config holding the packages' DefaultConfig values.
// Only the settings no variable controls keep them: loadConfig applies
// every row, with its default when unset, on top (TestDefaultsComeFromTable
// checks that the table alone produces the packages' defaults).
func newConfig() *config {
	c := &config{
		Edge:         edge.DefaultConfig(),
		Fetch:        fetch.DefaultConfig(),
		Vips:         vips.DefaultConfig(),
		Integrations: defaultIntegrationsConfig(),
	}
	c.Parser.Defaults = options.DefaultOptions()
	return c
}

// loadConfig parses the environment (through lookup) into a config.
// environ lists NAME=value pairs to scan for unknown variables (nil skips
// the scan). warnings are to be logged once a logger exists. The error is
// one line naming the variable.
func loadConfig(lookup lookupFunc, environ []string) (c *config, warnings []string, err error) {
	warn := func(s string) { warnings = append(warnings, s) }

	// The secret stores first (docs/secrets.md): like imgproxy, which
	// copies them into its environment, their values win over the process
	// environment; the local file is read after them and wins over both.
	lookup, stored, err := withSecretEnv(context.Background(), lookup, envSecretsOptions{})
	if err != nil {
		return nil, nil, err
	}
	for _, k := range stored {
		v, _ := lookup(k)
		environ = append(environ, k+"="+v)
	}

	// IMGPROXY_ENV_LOCAL_FILE_PATH next: the file feeds every other
	// lookup, and like imgproxy (which sets the file's variables in its
	// process environment) a variable in the file wins over the process
	// environment.
	if path, ok := lookup("IMGPROXY_ENV_LOCAL_FILE_PATH"); ok && strings.TrimSpace(path) != "" {
		fileVars, err := readEnvFile(strings.TrimSpace(path))
		if err != nil {
			return nil, nil, options.ConfigErrorf("IMGPROXY_ENV_LOCAL_FILE_PATH", "%w", err)
		}
		envLookup := lookup
		lookup = func(k string) (string, bool) {
			if v, ok := fileVars[k]; ok {
				return v, true
			}
			return envLookup(k)
		}
		for k, v := range fileVars {
			environ = append(environ, k+"="+v)
		}
	}

	c = newConfig()
	secs := c.sections()
	var deprecatedUsed []string
	for _, s := range secs {
		for i := range s.rows {
			a, err := s.rows[i].apply(lookup, warn)
			if err != nil {
				return nil, nil, err
			}
			if a.deprecated {
				deprecatedUsed = append(deprecatedUsed, a.name)
				warn(fmt.Sprintf("%s is deprecated; use %s", a.name, s.rows[i].name))
			}
		}
	}
	if c.FailOnDeprecation && len(deprecatedUsed) > 0 {
		return nil, nil, options.ConfigErrorf(deprecatedUsed[0], "deprecated name used and IMGPROXY_FAIL_ON_DEPRECATION is true")
	}
	if err := c.resolve(secs, lookup); err != nil {
		return nil, nil, err
	}
	if err := c.validate(secs); err != nil {
		return nil, nil, err
	}
	if environ != nil {
		for _, s := range unknownVars(table(c), environ) {
			warn(s)
		}
	}
	return c, warnings, nil
}

// resolve runs every section's resolve step, in order.
func (c *config) resolve(secs []section, lookup lookupFunc) error {
	for _, s := range secs {
		if s.resolve != nil {
			if err := s.resolve(lookup); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate runs every section's checks, then each package's Validate.
// Every error is an *options.ConfigError naming the variable.
func (c *config) validate(secs []section) error {
	for _, s := range secs {
		if s.validate != nil {
			if err := s.validate(); err != nil {
				return err
			}
		}
	}
	for _, v := range []interface{ Validate() error }{&c.Sign, &c.Workers, &c.Fetch, &c.Edge, &c.Vips, &c.Parser} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// readPresets resolves IMGPROXY_PRESETS, IMGPROXY_PRESETS_SEPARATOR and
// IMGPROXY_PRESETS_PATH into c.Parser.Presets.
func (c *config) readPresets() error {
	if c.raw.PresetsSeparator == "" {
		return options.ConfigErrorf("IMGPROXY_PRESETS_SEPARATOR", "must not be empty")
	}
	presets, err := options.ParsePresets(c.raw.Presets, c.raw.PresetsSeparator)
	if err != nil {
		return options.ConfigErrorf("IMGPROXY_PRESETS", "%w", err)
	}
	if c.raw.PresetsPath != "" {
		content, err := os.ReadFile(c.raw.PresetsPath)
		if err != nil {
			return options.ConfigErrorf("IMGPROXY_PRESETS_PATH", "%w", err)
		}
		filePresets, err := options.ParsePresetsFile(string(content))
		if err != nil {
			return options.ConfigErrorf("IMGPROXY_PRESETS_PATH", "%s: %w", c.raw.PresetsPath, err)
		}
		for k, v := range filePresets {
			if _, dup := presets[k]; dup {
				return options.ConfigErrorf("IMGPROXY_PRESETS_PATH", "preset %q is also defined in IMGPROXY_PRESETS", k)
			}
			presets[k] = v
		}
	}
	if len(presets) > 0 {
		c.Parser.Presets = presets
	}
	return nil
}

// osLookup is os.LookupEnv as a lookupFunc.
var osLookup lookupFunc = os.LookupEnv
