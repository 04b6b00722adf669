package options

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"math"
	"strings"
	"unicode/utf8"
)

// The watermark, source and integrity options of imgproxy Pro
// (docs/options.md, "Watermarks" and "Sources and integrity"): their parse
// functions (their entries are in pro.go), the hashsum check, and the
// decryption of /enc/ source URLs.

// MaxWatermarkShadow caps the watermark_shadow sigma (as blur).
const MaxWatermarkShadow = MaxBlurSigma

// HashsumType is the digest algorithm of the hashsum option.
type HashsumType uint8

// Hashsum types. HashsumNone (the default) checks nothing.
const (
	HashsumNone HashsumType = iota
	HashsumMD5
	HashsumSHA1
	HashsumSHA256
	HashsumSHA512
)

var hashsumNames = [...]string{"none", "md5", "sha1", "sha256", "sha512"}

// String returns the name used in URLs ("md5", ...).
func (t HashsumType) String() string {
	if int(t) < len(hashsumNames) {
		return hashsumNames[t]
	}
	return "none"
}

// size is the digest length in bytes.
func (t HashsumType) size() int {
	return [...]int{0, md5.Size, sha1.Size, sha256.Size, sha512.Size}[t]
}

func (t HashsumType) new() hash.Hash {
	switch t {
	case HashsumMD5:
		return md5.New()
	case HashsumSHA1:
		return sha1.New()
	case HashsumSHA256:
		return sha256.New()
	}
	return sha512.New()
}

// Hashsum is the hashsum option: the source's expected digest. Sum holds
// the raw digest bytes (a string, so that Options stays comparable).
type Hashsum struct {
	Type HashsumType
	Sum  string
}

// Check compares the digest of data with h: nil when they match or h is
// HashsumNone, else a KindHashsumMismatch error (422). data is only read.
func (h Hashsum) Check(data []byte) error {
	if h.Type == HashsumNone {
		return nil
	}
	d := h.Type.new()
	d.Write(data)
	var buf [sha512.Size]byte
	got := d.Sum(buf[:0])
	if subtle.ConstantTimeCompare(got, []byte(h.Sum)) != 1 {
		return Errorf(KindHashsumMismatch, "source %s is %x; the hashsum option wants %x", h.Type, got, h.Sum)
	}
	return nil
}

// copyProSourceFields copies the request fields of prosources.go (chained
// pipelines share them, options/chain.go); the watermark options belong
// to each pipeline.
func (o *Options) copyProSourceFields(from *Options) {
	o.FallbackImageURL = from.FallbackImageURL
	o.Hashsum = from.Hashsum
	o.Style = from.Style
	o.BypassCache = from.BypassCache
	o.CacheTags = from.CacheTags
}

func (h *Hashsum) appendKey(dst []byte) []byte {
	dst = appendInts(dst, int64(h.Type))
	return appendString(dst, h.Sum)
}

// decodeBase64Arg decodes a URL-safe base64 argument (padding optional).
func decodeBase64Arg(a []byte) ([]byte, bool) {
	a = bytes.TrimRight(a, "=")
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(a)))
	n, err := base64.RawURLEncoding.Decode(out, a)
	return out[:n], err == nil
}

// auxURL decodes the base64url URL of watermark_url or fallback_image_url
// ("" for an empty argument), applies IMGPROXY_URL_REPLACEMENTS and
// IMGPROXY_BASE_URL when preprocess is set (IMGPROXY_*_PREPROCESS_URL),
// and holds it to IMGPROXY_ALLOWED_SOURCES like the source URL.
func (st *parseState) auxURL(name, a []byte, preprocess bool) (string, error) {
	if len(a) == 0 {
		return "", nil
	}
	b, ok := decodeBase64Arg(a)
	if !ok || len(b) == 0 {
		return "", invalid("invalid %s %q: want a URL-safe base64 url", name, clip(a))
	}
	if err := checkURLChars(b); err != nil {
		return "", err
	}
	u := string(b)
	if preprocess {
		u = st.p.rewriteSource(u)
	}
	if len(st.p.sources) > 0 && !st.p.sourceAllowed(u) {
		return "", Errorf(KindSourceNotAllowed, "%s %q is not allowed", name, clipString(u))
	}
	return u, nil
}

func parseWatermarkURL(st *parseState, name []byte, args [][]byte) error {
	u, err := st.auxURL(name, args[0], st.p.preprocessWatermark)
	if err != nil {
		return err
	}
	w := &st.o.Watermark
	w.URL = u
	if u != "" {
		w.Text = ""
	}
	return nil
}

func parseWatermarkText(st *parseState, name []byte, args [][]byte) error {
	w := &st.o.Watermark
	if len(args[0]) == 0 {
		w.Text = ""
		return nil
	}
	b, ok := decodeBase64Arg(args[0])
	if !ok || len(b) == 0 {
		return invalid("invalid %s %q: want URL-safe base64 text", name, clip(args[0]))
	}
	if err := checkMarkup(b); err != nil {
		return invalid("invalid %s: %v", name, err)
	}
	w.Text, w.URL = string(b), ""
	return nil
}

func parseWatermarkSize(st *parseState, name []byte, args [][]byte) error {
	var wh [2]int
	for i, a := range args {
		if len(a) == 0 {
			continue
		}
		v, err := st.dimension(name, a)
		if err != nil {
			return err
		}
		wh[i] = v
	}
	st.o.Watermark.Width, st.o.Watermark.Height = wh[0], wh[1]
	return nil
}

// parseWatermarkRotate takes degrees clockwise, normalised to [0, 360).
func parseWatermarkRotate(st *parseState, name []byte, args [][]byte) error {
	v, err := parseFloat(args[0])
	if err != nil || math.Abs(v) > 1e9 {
		return invalid("invalid %s %q: want degrees", name, args[0])
	}
	v = math.Mod(v, 360)
	if v < 0 {
		v += 360
	}
	st.o.Watermark.Rotate = v
	return nil
}

func parseWatermarkShadow(st *parseState, name []byte, args [][]byte) error {
	v, err := parseFloat(args[0])
	if err != nil || v < 0 || v > MaxWatermarkShadow {
		return invalid("invalid %s sigma %q: want a number in [0, %v]", name, args[0], MaxWatermarkShadow)
	}
	st.o.Watermark.Shadow = v
	return nil
}

func parseFallbackImageURL(st *parseState, name []byte, args [][]byte) error {
	u, err := st.auxURL(name, args[0], st.p.preprocessFallback)
	if err != nil {
		return err
	}
	st.o.FallbackImageURL = u
	return nil
}

// parseHashsum takes "type:hexdigest"; "none" (digest optional) turns the
// check off.
func parseHashsum(st *parseState, name []byte, args [][]byte) error {
	var t HashsumType
	switch string(args[0]) {
	case "none", "":
		st.o.Hashsum = Hashsum{}
		return nil
	case "md5":
		t = HashsumMD5
	case "sha1":
		t = HashsumSHA1
	case "sha256":
		t = HashsumSHA256
	case "sha512":
		t = HashsumSHA512
	default:
		return invalid("invalid %s type %q: want none, md5, sha1, sha256 or sha512", name, args[0])
	}
	if len(args) < 2 {
		return invalid("%s %s needs the expected hex digest", name, t)
	}
	sum, err := hex.DecodeString(string(args[1]))
	if err != nil || len(sum) != t.size() {
		return invalid("invalid %s digest %q: want %d hex digits for %s", name, clip(args[1]), 2*t.size(), t)
	}
	st.o.Hashsum = Hashsum{Type: t, Sum: string(sum)}
	return nil
}

// parseStyle takes base64url CSS; it must be UTF-8 text (tabs and line
// breaks are the only control characters allowed).
func parseStyle(st *parseState, name []byte, args [][]byte) error {
	if len(args[0]) == 0 {
		st.o.Style = ""
		return nil
	}
	b, ok := decodeBase64Arg(args[0])
	if !ok || len(b) == 0 {
		return invalid("invalid %s %q: want URL-safe base64 css", name, clip(args[0]))
	}
	if !utf8.Valid(b) {
		return invalid("invalid %s: css is not utf-8", name)
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return invalid("invalid %s: css contains control character %#02x", name, c)
		}
	}
	st.o.Style = string(b)
	return nil
}

// parseBypassCache needs IMGPROXY_ALLOW_BYPASS_CACHE, like the security
// options need IMGPROXY_ALLOW_SECURITY_OPTIONS (403 otherwise).
func parseBypassCache(st *parseState, name []byte, args [][]byte) error {
	if !st.p.allowBypass {
		return Errorf(KindSecurityOption, "processing option %q is not allowed (IMGPROXY_ALLOW_BYPASS_CACHE)", name)
	}
	st.o.BypassCache = parseBool(args[0])
	return nil
}

// parseCacheTags takes tags of visible ASCII other than ","; empty tags
// are skipped and `ct:` clears the list.
func parseCacheTags(st *parseState, name []byte, args [][]byte) error {
	var b strings.Builder
	for _, a := range args {
		if len(a) == 0 {
			continue
		}
		for _, c := range a {
			if c <= ' ' || c > '~' || c == ',' {
				return invalid("invalid %s tag %q: want visible ASCII without commas", name, clip(a))
			}
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.Write(a)
	}
	st.o.CacheTags = b.String()
	return nil
}

// decryptSource decodes an /enc/ source (docs/url-format.md): URL-safe
// base64 of a 16-byte IV followed by the AES-CBC ciphertext of the
// PKCS #7-padded URL, with the key of IMGPROXY_SOURCE_URL_ENCRYPTION_KEY.
// Every failure is the same KindInvalidURL error (404), so that the answer
// does not tell a bad padding from other faults.
func (p *Parser) decryptSource(data []byte) (string, error) {
	if p.encBlock == nil {
		return "", Errorf(KindInvalidURL, "encrypted source urls need IMGPROXY_SOURCE_URL_ENCRYPTION_KEY")
	}
	errBad := Errorf(KindInvalidURL, "invalid encrypted source url %q", clip(data))
	raw, ok := decodeBase64Arg(data)
	if !ok || len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return "", errBad
	}
	iv, ct := raw[:aes.BlockSize], raw[aes.BlockSize:]
	cipher.NewCBCDecrypter(p.encBlock, iv).CryptBlocks(ct, ct)
	n := int(ct[len(ct)-1])
	if n == 0 || n > aes.BlockSize {
		return "", errBad
	}
	bad := 0
	for _, c := range ct[len(ct)-n:] {
		bad |= int(c) ^ n
	}
	if bad != 0 || len(ct) == n {
		return "", errBad
	}
	u := ct[:len(ct)-n]
	if err := checkURLChars(u); err != nil {
		return "", err
	}
	return string(u), nil
}
