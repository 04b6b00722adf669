package options

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Hard caps on option values that imgproxy leaves unbounded
// (docs/options.md "Hard caps"). A URL asking for more is refused with KindInvalidURL (404) before any
// work is done. See docs/options.md.
const (
	// DefaultMaxDimension caps width, height, min-width, min-height,
	// padding and pixelate when ParserConfig.MaxDimension is 0.
	DefaultMaxDimension = 16384
	// MaxDpr caps dpr (same bound imgproxy uses for the DPR client hint).
	MaxDpr = 8
	// MaxZoom caps each zoom factor.
	MaxZoom = 8
	// MaxBlurSigma caps blur sigma.
	MaxBlurSigma = 100
	// MaxSharpenSigma caps sharpen sigma.
	MaxSharpenSigma = 20
	// MaxWatermarkScale caps the watermark scale factor.
	MaxWatermarkScale = 10
	// DefaultMaxURLLength caps the request-target length when
	// ParserConfig.MaxURLLength is 0.
	DefaultMaxURLLength = 16384
)

// URLReplacement is one IMGPROXY_URL_REPLACEMENTS entry: a prefix pattern
// where "*" matches a run of non-"/" characters, and a replacement where
// "${N}" inserts the N-th wildcard match.
type URLReplacement struct {
	Pattern     string
	Replacement string
}

// ParserConfig configures a Parser. Only main fills it from IMGPROXY_*
// variables; the zero value of every field is its documented default.
type ParserConfig struct {
	// PathPrefix is IMGPROXY_PATH_PREFIX ("/img"): empty, or a leading "/"
	// and no trailing "/". The parser owns it; edge routes with
	// Parser.PathPrefix.
	PathPrefix string
	// ArgumentsSeparator is IMGPROXY_ARGUMENTS_SEPARATOR; "" means ":".
	ArgumentsSeparator string
	// Presets maps preset names to their option strings ("w:100/q:80"),
	// as returned by ParsePresets. They are parsed and validated by
	// NewParser: an invalid preset is a startup error.
	Presets map[string]string
	// OnlyPresets is IMGPROXY_ONLY_PRESETS: the URL names presets only
	// (docs/options.md "Presets").
	OnlyPresets bool
	// AllowedProcessingOptions is IMGPROXY_ALLOWED_PROCESSING_OPTIONS:
	// option names (as written in URLs) usable in URLs; empty = all.
	AllowedProcessingOptions []string
	// InfoPresets are IMGPROXY_INFO_PRESETS(_PATH): the /info endpoint's
	// presets (docs/info.md), parsed like Presets.
	InfoPresets map[string]string
	// InfoOnlyPresets is IMGPROXY_INFO_ONLY_PRESETS: /info URLs name info
	// presets only.
	InfoOnlyPresets bool
	// AllowedInfoOptions is IMGPROXY_ALLOWED_INFO_OPTIONS: info option
	// names usable in /info URLs; empty = all.
	AllowedInfoOptions []string
	// AllowSecurityOptions is IMGPROXY_ALLOW_SECURITY_OPTIONS.
	AllowSecurityOptions bool
	// BaseURL is IMGPROXY_BASE_URL, prepended to sources that do not
	// already start with it.
	BaseURL string
	// URLReplacements is IMGPROXY_URL_REPLACEMENTS (see ParseURLReplacements),
	// applied in order, each to the result of the previous one.
	URLReplacements []URLReplacement
	// Base64URLIncludesFilename is IMGPROXY_BASE64_URL_INCLUDES_FILENAME.
	Base64URLIncludesFilename bool
	// AllowedSources is IMGPROXY_ALLOWED_SOURCES: source URL prefixes
	// where "*" matches a run of characters other than / ? # @ and \.
	// A pattern that ends inside the host part (no "/" after "://host")
	// only matches when the URL continues with "/", "?", "#" or ends, so
	// "http://example.com" does not admit "http://example.com.evil.com"
	// nor "http://example.com@evil.com". Empty = any source.
	AllowedSources []string
	// EnableClientHints is IMGPROXY_ENABLE_CLIENT_HINTS: when false,
	// Hints.DPR and Hints.Width are ignored. The parser owns it; edge asks
	// Parser.ClientHints whether to read the hint headers.
	EnableClientHints bool
	// MaxDimension caps width/height/min-width/min-height/padding/
	// pixelate option values; 0 means DefaultMaxDimension.
	MaxDimension int
	// MaxURLLength caps the request-target length in Split; 0 means
	// DefaultMaxURLLength.
	MaxURLLength int
	// SourceURLEncryptionKey is IMGPROXY_SOURCE_URL_ENCRYPTION_KEY
	// (hex-decoded by main): the AES key (16, 24 or 32 bytes) of /enc/
	// source URLs; nil = /enc/ sources are refused.
	SourceURLEncryptionKey []byte
	// WatermarkPreprocessURL is IMGPROXY_WATERMARK_PREPROCESS_URL and
	// FallbackImagePreprocessURL is IMGPROXY_FALLBACK_IMAGE_PREPROCESS_URL:
	// apply URLReplacements and BaseURL to watermark_url /
	// fallback_image_url values too.
	WatermarkPreprocessURL, FallbackImagePreprocessURL bool
	// AllowBypassCache is IMGPROXY_ALLOW_BYPASS_CACHE: without it the
	// bypass_cache option is refused (403).
	AllowBypassCache bool
	// MaxChainedPipelines is IMGPROXY_MAX_CHAINED_PIPELINES: the most
	// pipelines a URL may chain ("/-/", docs/options.md); 0 = only the
	// hard cap MaxPipelines. Pipelines from presets are not counted.
	MaxChainedPipelines int
	// Defaults are the server-wide processing defaults every Request
	// starts from (IMGPROXY_QUALITY is not here: Quality 0 means "server
	// default", resolved by vips). The zero Options value means
	// DefaultOptions().
	Defaults Options
}

// Validate checks the configuration. Presets are checked by NewParser.
func (c *ParserConfig) Validate() error {
	// A prefix without a leading "/" can never match a request target
	// (imgproxy would silently answer 404 to everything); with a trailing
	// "/" the routes below it ("/img//health") would never match either.
	if c.PathPrefix != "" && (!strings.HasPrefix(c.PathPrefix, "/") || strings.HasSuffix(c.PathPrefix, "/") || strings.ContainsAny(c.PathPrefix, "?#")) {
		return ConfigErrorf("IMGPROXY_PATH_PREFIX", "%q must start with \"/\", not end with \"/\" and contain no \"?\" or \"#\"", c.PathPrefix)
	}
	if strings.ContainsAny(c.ArgumentsSeparator, "/?%") {
		return ConfigErrorf("IMGPROXY_ARGUMENTS_SEPARATOR", "%q must not contain \"/\", \"?\" or \"%%\"", c.ArgumentsSeparator)
	}
	for name := range c.Presets {
		if name == "" || strings.ContainsAny(name, "/") {
			return ConfigErrorf("IMGPROXY_PRESETS", "invalid preset name %q", name)
		}
	}
	for _, n := range c.AllowedProcessingOptions {
		if lookupOption([]byte(n)) == nil {
			return ConfigErrorf("IMGPROXY_ALLOWED_PROCESSING_OPTIONS", "unknown processing option %q", n)
		}
	}
	for name := range c.InfoPresets {
		if name == "" || strings.ContainsAny(name, "/") {
			return ConfigErrorf("IMGPROXY_INFO_PRESETS", "invalid preset name %q", name)
		}
	}
	for _, n := range c.AllowedInfoOptions {
		if !KnownInfoOption(n) {
			return ConfigErrorf("IMGPROXY_ALLOWED_INFO_OPTIONS", "unknown info option %q", n)
		}
	}
	for _, r := range c.URLReplacements {
		if r.Pattern == "" {
			return ConfigErrorf("IMGPROXY_URL_REPLACEMENTS", "empty pattern")
		}
	}
	for _, s := range c.AllowedSources {
		if s == "" {
			return ConfigErrorf("IMGPROXY_ALLOWED_SOURCES", "empty pattern")
		}
	}
	if c.MaxDimension < 0 {
		return ConfigErrorf("options.ParserConfig.MaxDimension", "%d must be >= 0", c.MaxDimension)
	}
	if n := len(c.SourceURLEncryptionKey); n != 0 && n != 16 && n != 24 && n != 32 {
		return ConfigErrorf("IMGPROXY_SOURCE_URL_ENCRYPTION_KEY", "must be 16, 24 or 32 bytes (hex-encoded); got %d bytes", n)
	}
	if c.MaxChainedPipelines < 0 {
		return ConfigErrorf("IMGPROXY_MAX_CHAINED_PIPELINES", "%d must be >= 0", c.MaxChainedPipelines)
	}
	if c.MaxURLLength < 0 {
		return ConfigErrorf("options.ParserConfig.MaxURLLength", "%d must be >= 0", c.MaxURLLength)
	}
	if c.Defaults != (Options{}) {
		return c.Defaults.validateDefaults()
	}
	return nil
}

// validateDefaults checks the server-wide processing defaults; the
// variable named is the one that sets the field (or the field itself).
func (o *Options) validateDefaults() error {
	switch {
	case !(o.Dpr > 0):
		return ConfigErrorf("options.Options.Dpr", "%v must be > 0", o.Dpr)
	case !(o.ZoomX > 0) || !(o.ZoomY > 0):
		return ConfigErrorf("options.Options.Zoom", "%v:%v must be > 0", o.ZoomX, o.ZoomY)
	case o.Quality < 0 || o.Quality > 100:
		return ConfigErrorf("options.Options.Quality", "%d outside 0..100", o.Quality)
	case o.Limits.MaxAnimationFrames < 1:
		return ConfigErrorf("IMGPROXY_MAX_ANIMATION_FRAMES", "%d must be > 0", o.Limits.MaxAnimationFrames)
	case o.Limits.MaxSrcResolution < 0:
		return ConfigErrorf("IMGPROXY_MAX_SRC_RESOLUTION", "must be >= 0")
	case o.Limits.MaxSrcFileSize < 0:
		return ConfigErrorf("IMGPROXY_MAX_SRC_FILE_SIZE", "%d must be >= 0", o.Limits.MaxSrcFileSize)
	case o.Limits.MaxAnimationFrameResolution < 0:
		return ConfigErrorf("IMGPROXY_MAX_ANIMATION_FRAME_RESOLUTION", "must be >= 0")
	case o.Limits.MaxResultDimension < 0:
		return ConfigErrorf("IMGPROXY_MAX_RESULT_DIMENSION", "%d must be >= 0", o.Limits.MaxResultDimension)
	}
	return nil
}

// DefaultOptions returns imgproxy's processing defaults: fit, no size,
// dpr 1, zoom 1, centre gravity, auto-rotate, strip metadata (keeping
// copyright), strip colour profile, quality 0 (server default), unsharp
// masking auto with weight 1 and divider 24, PNG palettes of 256 colours,
// and the default limits (50 MP, 1 animation frame, no file size or result
// limit).
func DefaultOptions() Options {
	return Options{
		ZoomX:             1,
		ZoomY:             1,
		Dpr:               1,
		AutoRotate:        true,
		StripMetadata:     true,
		KeepCopyright:     true,
		StripColorProfile: true,
		UnsharpMasking:    UnsharpMasking{Mode: UnsharpNone, Weight: 1, Divider: 24},
		Encoding:          Encoding{PNG: PNGOptions{QuantizationColors: 256}},
		Limits: Limits{
			MaxSrcResolution:   50_000_000,
			MaxAnimationFrames: 1,
		},
	}
}

// ParsePresets parses IMGPROXY_PRESETS: "name=opts" entries separated by
// sep ("" means ","), blank entries ignored. A missing "=", an empty name
// or a duplicate name is an error. Values are checked by NewParser.
func ParsePresets(s, sep string) (map[string]string, error) {
	if sep == "" {
		sep = ","
	}
	out := map[string]string{}
	for _, e := range splitList(s, sep) {
		if err := addPreset(out, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParsePresetsFile parses the IMGPROXY_PRESETS_PATH file content: one
// "name=opts" per line, "#" starts a comment line, blank lines ignored.
func ParsePresetsFile(content string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := addPreset(out, line); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return out, nil
}

func addPreset(m map[string]string, e string) error {
	name, val, ok := strings.Cut(e, "=")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !ok || name == "" {
		return fmt.Errorf("invalid preset %q: want name=options", e)
	}
	if _, dup := m[name]; dup {
		return fmt.Errorf("duplicate preset %q", name)
	}
	m[name] = val
	return nil
}

// ParseURLReplacements parses IMGPROXY_URL_REPLACEMENTS:
// "pattern=replacement;pattern2=replacement2". Blank gives nil.
func ParseURLReplacements(s string) ([]URLReplacement, error) {
	var out []URLReplacement
	for _, e := range splitList(s, ";") {
		pat, repl, ok := strings.Cut(e, "=")
		if !ok || strings.TrimSpace(pat) == "" {
			return nil, fmt.Errorf("invalid url replacement %q: want pattern=replacement", e)
		}
		out = append(out, URLReplacement{Pattern: strings.TrimSpace(pat), Replacement: strings.TrimSpace(repl)})
	}
	return out, nil
}

type compiledReplacement struct {
	re   *regexp.Regexp
	repl string
}

func compileReplacement(r URLReplacement) (compiledReplacement, error) {
	parts := strings.Split(r.Pattern, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re, err := regexp.Compile("^" + strings.Join(parts, "([^/]*)"))
	if err != nil {
		return compiledReplacement{}, fmt.Errorf("url replacement %q: %w", r.Pattern, err)
	}
	return compiledReplacement{re: re, repl: r.Replacement}, nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, e := range strings.Split(s, sep) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Hints are per-request inputs besides the path. The zero value is valid.
type Hints struct {
	// Now is the time "expires" is checked against; zero = time.Now().
	Now time.Time
	// DPR is the Sec-CH-DPR / DPR client hint (0 = none). Used as the
	// default dpr when ParserConfig.EnableClientHints and 0 < DPR <= 8.
	DPR float64
	// Width is the Sec-CH-Width / Width client hint in physical pixels
	// (0 = none). Used as the default width, divided by the dpr and
	// rounded, when ParserConfig.EnableClientHints.
	Width int
}
