package options

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"math"
	"strings"
	"time"
	"unsafe"
)

// Parser turns imgproxy processing URLs into Requests (docs/url-format.md,
// docs/options.md).
// It is immutable after NewParser and safe for concurrent use.
type Parser struct {
	prefix       []byte
	sep          []byte
	onlyPresets  bool
	allowed      map[string]struct{} // nil = all options allowed
	allowSec     bool
	baseURL      string
	replacements []compiledReplacement
	b64Filename  bool
	sources      []sourcePattern
	clientHints  bool
	maxDim       int
	maxURL       int
	maxChained   int
	defaults     Options

	encBlock            cipher.Block // /enc/ sources; nil = refused
	preprocessWatermark bool
	preprocessFallback  bool
	allowBypass         bool

	presets       []preset
	presetIndex   map[string]int
	defaultPreset int // index of preset "default", -1 if none

	// The /info endpoint's presets and allow-list (options/info.go).
	infoPresets       []preset
	infoPresetIndex   map[string]int
	defaultInfoPreset int
	infoOnlyPresets   bool
	allowedInfo       map[string]struct{} // nil = all info options allowed
}

type preset struct {
	name     string
	segments [][]byte // option segments, each contains the separator
}

// NewParser validates cfg, parses every preset (an invalid one is an
// error naming it) and returns a Parser.
func NewParser(cfg ParserConfig) (*Parser, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Parser{
		prefix:        []byte(cfg.PathPrefix),
		sep:           []byte(cfg.ArgumentsSeparator),
		onlyPresets:   cfg.OnlyPresets,
		allowSec:      cfg.AllowSecurityOptions,
		baseURL:       cfg.BaseURL,
		b64Filename:   cfg.Base64URLIncludesFilename,
		clientHints:   cfg.EnableClientHints,
		maxDim:        cfg.MaxDimension,
		maxURL:        cfg.MaxURLLength,
		maxChained:    cfg.MaxChainedPipelines,
		defaults:      cfg.Defaults,
		presetIndex:   map[string]int{},
		defaultPreset: -1,

		infoPresetIndex:     map[string]int{},
		defaultInfoPreset:   -1,
		infoOnlyPresets:     cfg.InfoOnlyPresets,
		preprocessWatermark: cfg.WatermarkPreprocessURL,
		preprocessFallback:  cfg.FallbackImagePreprocessURL,
		allowBypass:         cfg.AllowBypassCache,
	}
	if len(cfg.SourceURLEncryptionKey) > 0 {
		b, err := aes.NewCipher(cfg.SourceURLEncryptionKey)
		if err != nil {
			return nil, ConfigErrorf("IMGPROXY_SOURCE_URL_ENCRYPTION_KEY", "%w", err)
		}
		p.encBlock = b
	}
	if len(p.sep) == 0 {
		p.sep = []byte{':'}
	}
	if p.maxDim == 0 {
		p.maxDim = DefaultMaxDimension
	}
	if p.maxURL == 0 {
		p.maxURL = DefaultMaxURLLength
	}
	if p.defaults == (Options{}) {
		p.defaults = DefaultOptions()
	}
	if len(cfg.AllowedProcessingOptions) > 0 {
		p.allowed = map[string]struct{}{}
		for _, n := range cfg.AllowedProcessingOptions {
			p.allowed[n] = struct{}{}
		}
	}
	if len(cfg.AllowedInfoOptions) > 0 {
		p.allowedInfo = map[string]struct{}{}
		for _, n := range cfg.AllowedInfoOptions {
			p.allowedInfo[n] = struct{}{}
		}
	}
	for _, r := range cfg.URLReplacements {
		c, err := compileReplacement(r)
		if err != nil {
			return nil, ConfigErrorf("IMGPROXY_URL_REPLACEMENTS", "%w", err)
		}
		p.replacements = append(p.replacements, c)
	}
	for _, s := range cfg.AllowedSources {
		p.sources = append(p.sources, compileSourcePattern(s))
	}
	if err := p.compilePresets(cfg.Presets); err != nil {
		return nil, err
	}
	if err := p.compileInfoPresets(cfg.InfoPresets); err != nil {
		return nil, err
	}
	return p, nil
}

// compilePresets registers every preset, then checks each by applying it
// to the defaults: an invalid preset is a configuration error naming it.
// All names are registered first, so presets may reference each other.
func (p *Parser) compilePresets(presets map[string]string) error {
	names := make([]string, 0, len(presets))
	for name := range presets {
		names = append(names, name)
	}
	for _, name := range names {
		pr := preset{name: name}
		for _, seg := range strings.Split(presets[name], "/") {
			if seg == "" {
				continue
			}
			pr.segments = append(pr.segments, []byte(seg))
		}
		p.presetIndex[name] = len(p.presets)
		if name == "default" {
			p.defaultPreset = len(p.presets)
		}
		p.presets = append(p.presets, pr)
	}
	for i := range p.presets {
		pr := &p.presets[i]
		for _, seg := range pr.segments {
			if bytes.Index(seg, p.sep) < 0 && !isChainSep(seg) {
				return ConfigErrorf("IMGPROXY_PRESETS", "preset %q: %q is not a processing option", pr.name, seg)
			}
		}
		o := p.defaults
		st := p.acquireState(&o, time.Now())
		err := st.applyPreset(i)
		releaseState(st)
		if err != nil {
			return ConfigErrorf("IMGPROXY_PRESETS", "preset %q: %w", pr.name, err)
		}
	}
	return nil
}

// PathPrefix returns IMGPROXY_PATH_PREFIX ("" = none): edge mounts every
// route below it.
func (p *Parser) PathPrefix() string { return string(p.prefix) }

// ClientHints reports whether IMGPROXY_ENABLE_CLIENT_HINTS is on: edge then
// reads the DPR and Width hint headers into Hints and varies on them.
func (p *Parser) ClientHints() bool { return p.clientHints }

// Split cuts a raw request-target (as received, still percent-encoded,
// e.g. fasthttp's RequestURI()) into the signature and the signed path
// (docs/url-format.md): it drops the query, the path prefix and up
// to two leading "/", splits at the next "/", and applies the proxy repairs
// ("%3A" -> ":" before /plain/, "scheme:/x" -> "scheme://x"). path starts
// with "/" and is exactly the string that is signed.
//
// sig and path may alias requestURI (they are copied only when a repair
// was needed), so they are valid only as long as requestURI is.
func (p *Parser) Split(requestURI []byte) (sig, path []byte, err error) {
	if len(requestURI) > p.maxURL {
		return nil, nil, Errorf(KindInvalidURL, "url is %d bytes long, limit is %d", len(requestURI), p.maxURL)
	}
	uri := requestURI
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if len(p.prefix) > 0 {
		if !bytes.HasPrefix(uri, p.prefix) {
			return nil, nil, Errorf(KindInvalidURL, "path %q does not start with the path prefix", clip(uri))
		}
		uri = uri[len(p.prefix):]
	}
	// Like imgproxy, up to two leading slashes go: its router consumes the
	// one after the prefix and the splitter trims another, so "//x/..." has
	// the signature "x" (docs/url-format.md).
	for n := 0; n < 2 && len(uri) > 0 && uri[0] == '/'; n++ {
		uri = uri[1:]
	}
	i := bytes.IndexByte(uri, '/')
	if i <= 0 || i == len(uri)-1 {
		return nil, nil, Errorf(KindInvalidURL, "invalid path %q: want /signature/options/source", clip(uri))
	}
	return uri[:i], repairPath(uri[i:]), nil
}

var (
	plainMarker = []byte("/plain/")
	escColon    = []byte("%3A")
	colon       = []byte(":")
	colonSlash  = []byte(":/")
)

func hasSpace(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			return true
		}
	}
	return false
}

// repairPath undoes what proxies and browsers do to paths: "%3A" in the
// options part and a collapsed "//" after the scheme of a plain source
// (imgproxy's /plain/(\S+):/([^/]) rule, greedy like the regexp, with an
// extra "/" for local:). It copies only when something changes.
func repairPath(path []byte) []byte {
	pl := bytes.Index(path, plainMarker)
	opts := path
	if pl >= 0 {
		opts = path[:pl]
	}
	fixColons := bytes.Contains(opts, escColon)
	slashAt, isLocal := -1, false
	if pl >= 0 {
		src := path[pl+len(plainMarker):]
		// Greedy like the regexp: the last ":/X" (X not "/") with only
		// non-space characters before it.
		end := len(src)
		for {
			j := bytes.LastIndex(src[:end], colonSlash)
			if j < 1 {
				break
			}
			if j+2 < len(src) && src[j+2] != '/' {
				if !hasSpace(src[:j]) {
					slashAt = pl + len(plainMarker) + j + 2
					isLocal = string(src[:j]) == "local"
				}
				break
			}
			end = j
		}
	}
	if !fixColons && slashAt < 0 {
		return path
	}
	out := make([]byte, 0, len(path)+2)
	if fixColons {
		out = append(out, bytes.ReplaceAll(opts, escColon, colon)...)
	} else {
		out = append(out, opts...)
	}
	if pl >= 0 {
		rest := path[pl:]
		if slashAt >= 0 {
			k := slashAt - pl
			out = append(out, rest[:k]...)
			out = append(out, '/')
			if isLocal {
				out = append(out, '/')
			}
			out = append(out, rest[k:]...)
		} else {
			out = append(out, rest...)
		}
	}
	return out
}

// Parse parses a signed path (from Split; a leading "/" is optional) into
// dst, overwriting it completely: defaults, client hints, the "default"
// preset, URL options in order, the source URL and the extension. Errors
// are *Error (KindInvalidURL, KindSecurityOption, KindSourceNotAllowed).
// dst does not reference path after Parse returns.
func (p *Parser) Parse(path []byte, hints Hints, dst *Request) error {
	dst.SourceURL = ""
	dst.Options = p.defaults
	o := &dst.Options
	st := p.acquireState(o, hints.Now)
	defer releaseState(st)
	if p.clientHints {
		dpr := 1.0
		if hints.DPR > 0 && hints.DPR <= MaxDpr {
			dpr = hints.DPR
			o.Dpr = dpr
		}
		if hints.Width > 0 {
			o.Width = min(int(math.Round(float64(hints.Width)/dpr)), p.maxDim)
		}
	}
	if p.defaultPreset >= 0 {
		if err := st.applyPreset(p.defaultPreset); err != nil {
			return err
		}
	}
	if len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	if len(path) == 0 {
		return Errorf(KindInvalidURL, "empty path")
	}
	if p.onlyPresets {
		var seg []byte
		seg, path, _ = bytes.Cut(path, slash)
		st.fromPreset = true
		if err := st.presetList(seg); err != nil {
			return err
		}
	} else {
		first, _, _ := bytes.Cut(path, slash)
		switch string(first) {
		case "fit", "fill", "fill-down", "force", "auto":
			return Errorf(KindInvalidURL, "legacy basic url format (%q) is not supported", first)
		}
		for {
			seg, rest, found := cutSlash(path)
			if isChainSep(seg) && found {
				if err := st.urlPipeline(); err != nil {
					return err
				}
				path = rest
				continue
			}
			if p.indexSep(seg) < 0 {
				break
			}
			if err := st.applySegment(seg); err != nil {
				return err
			}
			path = rest
			if !found {
				break
			}
		}
	}
	src, ext, err := p.parseSource(path)
	if err != nil {
		return err
	}
	if len(ext) > 0 && !st.o.Raw && !setOutputFormat(st.o, ext) {
		return Errorf(KindInvalidURL, "unknown extension %q", ext)
	}
	st.finishChain(o)
	src = p.rewriteSource(src)
	if len(p.sources) > 0 && !p.sourceAllowed(src) {
		return Errorf(KindSourceNotAllowed, "source url %q is not allowed", clipString(src))
	}
	dst.SourceURL = src
	return nil
}

var slash = []byte{'/'}

// cutSlash is bytes.Cut(b, "/") for the short option segments.
func cutSlash(b []byte) (before, after []byte, found bool) {
	for i := range b {
		if b[i] == '/' {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// parseSource handles the source part (docs/url-format.md "The source
// URL") and
// returns the decoded URL (a fresh string) and the raw extension.
func (p *Parser) parseSource(path []byte) (string, []byte, error) {
	if len(path) == 0 {
		return "", nil, Errorf(KindInvalidURL, "missing source url")
	}
	if rest, ok := bytes.CutPrefix(path, []byte("plain/")); ok && len(rest) > 0 {
		u, ext, more := bytes.Cut(rest, []byte{'@'})
		if more && bytes.IndexByte(ext, '@') >= 0 {
			return "", nil, Errorf(KindInvalidURL, "plain source url %q has multiple formats", clip(rest))
		}
		s, err := pathUnescape(u)
		if err != nil {
			return "", nil, err
		}
		return s, ext, nil
	}
	encrypted := false
	if rest, ok := bytes.CutPrefix(path, []byte("enc/")); ok && len(rest) > 0 {
		path, encrypted = rest, true
	}
	enc := path
	if p.b64Filename {
		if i := bytes.LastIndexByte(enc, '/'); i >= 0 {
			enc = enc[:i]
		}
	}
	var buf [512]byte
	joined := buf[:0]
	for len(enc) > 0 {
		seg, rest, _ := bytes.Cut(enc, slash)
		joined = append(joined, seg...)
		enc = rest
	}
	data, ext, more := bytes.Cut(joined, []byte{'.'})
	if more && bytes.IndexByte(ext, '.') >= 0 {
		return "", nil, Errorf(KindInvalidURL, "base64 source url %q has multiple formats", clip(joined))
	}
	if encrypted {
		u, err := p.decryptSource(data)
		if err != nil {
			return "", nil, err
		}
		return u, append([]byte(nil), ext...), nil
	}
	data = bytes.TrimRight(data, "=")
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(data)))
	n, err := base64.RawURLEncoding.Decode(out, data)
	if err != nil || n == 0 {
		return "", nil, Errorf(KindInvalidURL, "invalid base64 source url %q", clip(data))
	}
	if err := checkURLChars(out[:n]); err != nil {
		return "", nil, err
	}
	// ext aliases the stack buffer: hand out a copy (rarely needed).
	var extCopy []byte
	if len(ext) > 0 {
		extCopy = append(extCopy, ext...)
	}
	return unsafe.String(&out[0], n), extCopy, nil
}

// pathUnescape percent-decodes with path rules ("+" stays "+"); a bad
// escape, an empty result or a control character is KindInvalidURL.
func pathUnescape(b []byte) (string, error) {
	if len(b) == 0 {
		return "", Errorf(KindInvalidURL, "empty source url")
	}
	n := bytes.IndexByte(b, '%')
	if n < 0 {
		if err := checkURLChars(b); err != nil {
			return "", err
		}
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
			return "", Errorf(KindInvalidURL, "invalid escape in source url %q", clip(b))
		}
		out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
		i += 2
	}
	if len(out) == 0 {
		return "", Errorf(KindInvalidURL, "empty source url")
	}
	if err := checkURLChars(out); err != nil {
		return "", err
	}
	return unsafe.String(&out[0], len(out)), nil
}

// checkURLChars refuses ASCII control characters (NUL, CR, LF, ...) in a
// decoded source URL: no fetcher can use them and they only smuggle.
func checkURLChars(b []byte) error {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return Errorf(KindInvalidURL, "source url contains control character %#02x", c)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// rewriteSource applies IMGPROXY_URL_REPLACEMENTS (each in order, on the
// result of the previous one, like imgproxy) and IMGPROXY_BASE_URL
// (docs/url-format.md "The source URL").
func (p *Parser) rewriteSource(u string) string {
	for _, r := range p.replacements {
		u = r.re.ReplaceAllString(u, r.repl)
	}
	if p.baseURL != "" && !strings.HasPrefix(u, p.baseURL) {
		u = p.baseURL + u
	}
	return u
}

// b2s views b as a string without copying. Only for short-lived lookups
// and number parsing: the string must not outlive b.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// clip shortens untrusted input quoted in error messages.
func clip(b []byte) string {
	if len(b) > 256 {
		return string(b[:256]) + "..."
	}
	return string(b)
}

func clipString(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}
