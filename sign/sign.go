// Package sign checks imgproxy-compatible URL signatures (docs/signing.md):
// HMAC-SHA256 over salt+path, truncated to SignatureSize bytes and encoded
// as URL-safe base64 without padding. It is pure Go and has no state that
// changes after New, so a *Verifier is safe for concurrent use.
package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/imgedge/imgedge/options"
)

// DefaultSignatureSize is the number of HMAC bytes kept when
// Config.SignatureSize is 0 (IMGPROXY_SIGNATURE_SIZE unset).
const DefaultSignatureSize = 32

// Config configures a Verifier. Keys[i] pairs with Salts[i]. Empty Keys and
// Salts mean signing is off. The slices are copied by New.
type Config struct {
	// Keys and Salts are the decoded IMGPROXY_KEY / IMGPROXY_SALT lists.
	Keys, Salts [][]byte
	// SignatureSize is IMGPROXY_SIGNATURE_SIZE, 1..32; 0 means 32.
	SignatureSize int
	// Trusted are IMGPROXY_TRUSTED_SIGNATURES, accepted verbatim.
	Trusted []string
}

// Validate reports configuration errors as *options.ConfigError naming the
// variable. Messages never contain key or salt material.
func (c *Config) Validate() error {
	switch k, s := len(c.Keys), len(c.Salts); {
	case k == s:
	case s == 0:
		return options.ConfigErrorf("IMGPROXY_SALT", "missing; IMGPROXY_KEY is set, so a salt is required (one per key)")
	case k == 0:
		return options.ConfigErrorf("IMGPROXY_KEY", "missing; IMGPROXY_SALT is set, so a key is required (one per salt)")
	default:
		return options.ConfigErrorf("IMGPROXY_SALT", "%d salts for %d keys in IMGPROXY_KEY; give one salt per key", s, k)
	}
	for i := range c.Keys {
		if len(c.Keys[i]) == 0 {
			return options.ConfigErrorf("IMGPROXY_KEY", "key #%d is empty", i+1)
		}
		if len(c.Salts[i]) == 0 {
			return options.ConfigErrorf("IMGPROXY_SALT", "salt #%d is empty", i+1)
		}
	}
	if c.SignatureSize < 0 || c.SignatureSize > sha256.Size {
		return options.ConfigErrorf("IMGPROXY_SIGNATURE_SIZE", "%d is outside 1..32", c.SignatureSize)
	}
	for i, t := range c.Trusted {
		if t == "" {
			return options.ConfigErrorf("IMGPROXY_TRUSTED_SIGNATURES", "signature #%d is empty", i+1)
		}
	}
	return nil
}

// ParseHexList decodes a comma-separated list of hex strings
// (IMGPROXY_KEY, IMGPROXY_SALT). Whitespace around entries is trimmed and
// hex is case-insensitive. An empty or blank s gives nil. An empty entry,
// an odd-length entry or a non-hex character is an error; the error names
// the entry and the offset but never echoes the secret.
func ParseHexList(s string) ([][]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([][]byte, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("entry #%d is empty", i+1)
		}
		if len(p)%2 != 0 {
			return nil, fmt.Errorf("entry #%d has odd length %d: hex needs two digits per byte", i+1, len(p))
		}
		b, err := hex.DecodeString(p)
		if err != nil {
			var inv hex.InvalidByteError
			if errors.As(err, &inv) {
				off := strings.IndexByte(p, byte(inv))
				return nil, fmt.Errorf("entry #%d has a non-hex character at offset %d", i+1, off)
			}
			return nil, fmt.Errorf("entry #%d is not valid hex", i+1)
		}
		out = append(out, b)
	}
	return out, nil
}

// Verifier checks signatures. It is immutable after New and safe for
// concurrent use.
type Verifier struct {
	pairs   []pair
	size    int
	encLen  int // length of an encoded signature of size bytes
	trusted [][]byte
}

type pair struct {
	salt []byte
	pool sync.Pool // of *macState for this key; Get/Put in Verify only
}

// macState is a reusable HMAC with scratch space, so that Verify does not
// allocate in the steady state.
type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// New validates cfg and returns a Verifier. With no keys it returns a
// Verifier whose Enabled is false.
func New(cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	size := cfg.SignatureSize
	if size == 0 {
		size = DefaultSignatureSize
	}
	v := &Verifier{size: size, encLen: base64.RawURLEncoding.EncodedLen(size)}
	v.pairs = make([]pair, len(cfg.Keys))
	for i := range cfg.Keys {
		key := bytes.Clone(cfg.Keys[i])
		v.pairs[i].salt = bytes.Clone(cfg.Salts[i])
		v.pairs[i].pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	}
	for _, t := range cfg.Trusted {
		v.trusted = append(v.trusted, []byte(t))
	}
	return v, nil
}

// Enabled reports whether signatures are checked (a key/salt pair is set).
func (v *Verifier) Enabled() bool { return len(v.pairs) > 0 }

// Size is the number of HMAC bytes a signature carries.
func (v *Verifier) Size() int { return v.size }

var (
	errSignatureIsOption = &options.Error{Kind: options.KindSignatureIsOption,
		Msg: "the signature appears to be a processing option; the signature section should always be present in the url"}
	errMissing   = &options.Error{Kind: options.KindForbidden, Msg: "missing signature"}
	errEncoding  = &options.Error{Kind: options.KindForbidden, Msg: "invalid signature encoding"}
	errSignature = &options.Error{Kind: options.KindForbidden, Msg: "invalid signature"}
)

// Verify checks sig against path (everything after the signature segment,
// normally starting with "/"; a missing leading "/" is implied, as
// imgproxy does). It returns nil when the URL may be served.
//
// Signing off: any non-empty sig is accepted except one containing ':',
// which gives KindSignatureIsOption (docs/http.md "Errors"). Signing on: a
// trusted signature is accepted verbatim; otherwise sig must be unpadded
// URL-safe base64 of exactly Size bytes matching the HMAC of any pair
// (constant-time comparison), else KindForbidden. The returned errors are
// shared values: do not modify them. Verify does not allocate.
func (v *Verifier) Verify(sig, path []byte) error {
	if len(v.pairs) == 0 {
		if len(sig) == 0 {
			return errMissing
		}
		if bytes.IndexByte(sig, ':') >= 0 {
			return errSignatureIsOption
		}
		return nil
	}
	if len(sig) == 0 {
		return errMissing
	}
	// Trusted signatures: compare against every entry in constant time
	// per entry so the list is not probed byte by byte.
	trusted := 0
	for _, t := range v.trusted {
		if len(t) == len(sig) {
			trusted |= subtle.ConstantTimeCompare(t, sig)
		}
	}
	if trusted == 1 {
		return nil
	}
	if len(sig) != v.encLen {
		return errEncoding
	}
	var want [sha256.Size]byte
	n, err := base64.RawURLEncoding.Decode(want[:], sig)
	if err != nil || n != v.size {
		return errEncoding
	}
	for i := range v.pairs {
		p := &v.pairs[i]
		st := p.pool.Get().(*macState)
		st.h.Reset()
		st.h.Write(p.salt)
		if len(path) == 0 || path[0] != '/' {
			st.h.Write(slash)
		}
		st.h.Write(path)
		sum := st.h.Sum(st.sum[:0])
		ok := hmac.Equal(sum[:v.size], want[:v.size])
		p.pool.Put(st)
		if ok {
			return nil
		}
	}
	return errSignature
}

var slash = []byte{'/'}

// Sign returns the signature of path (which should start with "/") for one
// key/salt pair, truncated to size bytes (0 or out of range means 32).
// Meant for tests, tools and documentation examples.
func Sign(key, salt, path []byte, size int) string {
	if size <= 0 || size > sha256.Size {
		size = sha256.Size
	}
	h := hmac.New(sha256.New, key)
	h.Write(salt)
	if len(path) == 0 || path[0] != '/' {
		h.Write(slash)
	}
	h.Write(path)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:size])
}
