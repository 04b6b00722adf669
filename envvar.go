package main

// The machinery behind the configuration table (config.go and the section
// files config_*.go): how one environment variable is looked up,
// defaulted, parsed and reported. The table itself (names, defaults,
// meanings, destinations) is the single source for start-up parsing,
// `imgedge -h` and docs/config.md.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
)

// envVar is one row of the configuration table.
type envVar struct {
	name string
	// def is the default as text; when the variable is unset or blank, def
	// is parsed by set exactly like a user value (so the documented default
	// and the applied one cannot differ). "" = set is not called at all and
	// the destination keeps its zero value (or the package default).
	def string
	// defFunc computes a default that depends on the machine (CPU count);
	// defDoc then says how, for the docs.
	defFunc func() string
	defDoc  string
	help    string
	// aliases are other names read when name is unset, in order.
	aliases []alias
	// secret values are never echoed in error messages.
	secret bool
	// keepEmpty: a variable that is set but empty is a value ("" disables),
	// not "use the default".
	keepEmpty bool
	set       func(v string) error
}

// alias is another accepted name for a variable.
type alias struct {
	name string
	// deprecated names are fatal with IMGPROXY_FAIL_ON_DEPRECATION=true and
	// logged as a warning otherwise.
	deprecated bool
}

// deprecated lists one deprecated alias.
func deprecated(name string) []alias { return []alias{{name: name, deprecated: true}} }

// lookupFunc is os.LookupEnv (tests pass a map).
type lookupFunc func(string) (string, bool)

// defaultText is the default as documented.
func (v *envVar) defaultText() string {
	if v.defDoc != "" {
		return v.defDoc
	}
	if v.def == "" {
		return "empty"
	}
	return "`" + v.def + "`"
}

// apply looks the variable up (name, then aliases), falls back to the
// default and hands the value to set. usedAlias is the alias name that
// supplied the value, if any.
func (v *envVar) apply(lookup lookupFunc, warn func(string)) (usedAlias alias, err error) {
	val, ok := lookup(v.name)
	src := v.name
	if !ok || (!v.keepEmpty && strings.TrimSpace(val) == "") {
		ok = false
		for _, a := range v.aliases {
			if av, aok := lookup(a.name); aok && strings.TrimSpace(av) != "" {
				val, ok, src, usedAlias = av, true, a.name, a
				break
			}
		}
	} else {
		for _, a := range v.aliases {
			if av, aok := lookup(a.name); aok && strings.TrimSpace(av) != "" && strings.TrimSpace(av) != strings.TrimSpace(val) {
				warn(fmt.Sprintf("%s is ignored because %s is set", a.name, v.name))
			}
		}
	}
	if !ok {
		val = v.def
		if v.defFunc != nil {
			val = v.defFunc()
		}
		if val == "" {
			return usedAlias, nil
		}
	}
	if v.set == nil {
		return usedAlias, nil
	}
	if err := v.set(strings.TrimSpace(val)); err != nil {
		if !v.secret {
			return usedAlias, options.ConfigErrorf(src, "%w", err)
		}
		return usedAlias, options.ConfigErrorf(src, "%s", redact(err, val))
	}
	return usedAlias, nil
}

// redact removes a secret value from an error message.
func redact(err error, val string) string {
	msg := err.Error()
	val = strings.TrimSpace(val)
	if val != "" {
		msg = strings.ReplaceAll(msg, strconv.Quote(val), "(value hidden)")
		msg = strings.ReplaceAll(msg, val, "(value hidden)")
	}
	return msg
}

// --- parsers: each returns a set func writing into a destination ---

func setString(dst *string) func(string) error {
	return func(v string) error { *dst = v; return nil }
}

func setOneOf(dst *string, choices ...string) func(string) error {
	return func(v string) error {
		lv := strings.ToLower(v)
		for _, c := range choices {
			if lv == c {
				*dst = c
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(choices, ", "))
	}
}

func setBool(dst *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("cannot parse %q as a boolean (use true or false)", v)
		}
		*dst = b
		return nil
	}
}

func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("cannot parse %q as an integer", v)
	}
	if n < lo {
		if lo == 0 {
			return 0, fmt.Errorf("%d must not be negative", n)
		}
		return 0, fmt.Errorf("%d is below the minimum %d", n, lo)
	}
	if n > hi {
		return 0, fmt.Errorf("%d is above the maximum %d", n, hi)
	}
	return n, nil
}

// setInt parses an integer in [lo, hi].
func setInt(dst *int, lo, hi int) func(string) error {
	return func(v string) error {
		n, err := parseInt(v, lo, hi)
		if err != nil {
			return err
		}
		*dst = n
		return nil
	}
}

// setInt64 parses a non-negative integer (bytes, pixels).
func setInt64(dst *int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("cannot parse %q as an integer", v)
		}
		if n < 0 {
			return fmt.Errorf("%d must not be negative", n)
		}
		*dst = n
		return nil
	}
}

// setSeconds parses a whole number of seconds; positive requires > 0.
func setSeconds(dst *time.Duration, positive bool) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("cannot parse %q as a whole number of seconds", v)
		}
		if n < 0 {
			return fmt.Errorf("%d must not be negative", n)
		}
		if positive && n == 0 {
			return errors.New("0 is not allowed; give a positive number of seconds")
		}
		if n > math.MaxInt64/int64(time.Second) {
			return fmt.Errorf("%d seconds is too large", n)
		}
		*dst = time.Duration(n) * time.Second
		return nil
	}
}

// setMegapixels parses float megapixels into pixels.
func setMegapixels(dst *int64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("cannot parse %q as megapixels", v)
		}
		if f < 0 {
			return fmt.Errorf("%v must not be negative", f)
		}
		if f > 1e9 {
			return fmt.Errorf("%v megapixels is too large", f)
		}
		*dst = int64(math.Round(f * 1e6))
		return nil
	}
}

// setFloat parses a float in (lo, hi] (lo exclusive).
func setFloat(dst *float64, lo, hi float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) {
			return fmt.Errorf("cannot parse %q as a number", v)
		}
		if f <= lo || f > hi {
			return fmt.Errorf("%v is outside (%v, %v]", f, lo, hi)
		}
		*dst = f
		return nil
	}
}

// splitList splits a comma list, trimming items and dropping empty ones.
func splitList(v, sep string) []string {
	var out []string
	for _, s := range strings.Split(v, sep) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func setList(dst *[]string) func(string) error {
	return func(v string) error { *dst = splitList(v, ","); return nil }
}

// setHexList decodes a comma list of hex strings (IMGPROXY_KEY,
// IMGPROXY_SALT) with sign.ParseHexList, whose messages never contain the
// secret.
func setHexList(dst *[][]byte) func(string) error {
	return func(v string) (err error) {
		*dst, err = sign.ParseHexList(v)
		return err
	}
}

func parseFormatName(s string) (options.Format, error) {
	f, ok := options.ParseFormat(strings.ToLower(s))
	if !ok {
		return 0, fmt.Errorf("unknown format %q", s)
	}
	return f, nil
}

// formatList writes formats as the comma list setFormats parses.
func formatList(fs []options.Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}

// setFormats parses an ordered comma list of format names.
func setFormats(dst *[]options.Format) func(string) error {
	return func(v string) error {
		var out []options.Format
		for _, s := range splitList(v, ",") {
			f, err := parseFormatName(s)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		*dst = out
		return nil
	}
}

// setFormatSet parses a comma list of format names into a set.
func setFormatSet(dst *options.FormatSet) func(string) error {
	return func(v string) error {
		var set options.FormatSet
		for _, s := range splitList(v, ",") {
			f, err := parseFormatName(s)
			if err != nil {
				return err
			}
			set = set.With(f)
		}
		*dst = set
		return nil
	}
}

// setFormatQuality parses "webp=79,avif=63" into dst, leaving formats that
// are not mentioned unchanged (so user values merge over the defaults).
func setFormatQuality(dst *[options.NumFormats]int) func(string) error {
	return func(v string) error {
		for _, item := range splitList(v, ",") {
			name, q, ok := strings.Cut(item, "=")
			if !ok {
				return fmt.Errorf("%q is not format=quality", item)
			}
			f, err := parseFormatName(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			n, err := parseInt(strings.TrimSpace(q), 1, 100)
			if err != nil {
				return fmt.Errorf("quality of %s: %w", f, err)
			}
			dst[f] = n
		}
		return nil
	}
}

// setTime parses an RFC 3339 time.
func setTime(dst *time.Time) func(string) error {
	return func(v string) error {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("cannot parse %q as an RFC 3339 time", v)
		}
		*dst = t
		return nil
	}
}

// checkReadableDir verifies that dir exists, is a directory and can be listed.
func checkReadableDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot use %q: %w", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%q is not a directory", dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot read %q: %w", dir, errors.Unwrap(err))
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != nil && err != io.EOF {
		return fmt.Errorf("cannot read %q: %w", dir, errors.Unwrap(err))
	}
	return nil
}

// readEnvFile reads the environment file (IMGPROXY_ENV_LOCAL_FILE_PATH)
// with godotenv, the dotenv dialect imgproxy reads too: NAME=value lines,
// "export " prefixes, # comments (also after an unquoted value when a
// space precedes the #), single quotes taken literally, double quotes with
// \n, \" and \\ escapes, and ${NAME} expanded from earlier lines of the file.
// docs/config.md ("The environment file") lists the rare differences.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %w", path, errors.Unwrap(err))
	}
	vars, err := godotenv.UnmarshalBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vars, nil
}

// sortedKeys returns m's keys in order (deterministic warnings).
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setParsed sets an enumerated value with its package's parser (e.g.
// options.ParseWebPPreset); the value is matched in lower case.
func setParsed[T any](dst *T, parse func(string) (T, bool)) func(string) error {
	return func(v string) error {
		x, ok := parse(strings.ToLower(v))
		if !ok {
			return fmt.Errorf("unknown value %q", v)
		}
		*dst = x
		return nil
	}
}
