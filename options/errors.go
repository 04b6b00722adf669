package options

import (
	"context"
	"errors"
	"fmt"
)

// ErrorKind says what went wrong, not which HTTP status it becomes: edge/
// holds the single table that maps a kind to a status and a public message
// (docs/http.md "Errors"). Producers (options, sign, fetch, vips, workers)
// return *Error values carrying one of these kinds.
type ErrorKind uint8

// Error kinds. KindUnexpected is the zero value so that an unclassified
// error is never mistaken for a client error.
const (
	KindUnexpected        ErrorKind = iota // 500 Internal error
	KindInvalidURL                         // 404 Invalid URL: malformed path, bad option, expired link
	KindSecurityOption                     // 403 Invalid URL: security option not allowed
	KindSignatureIsOption                  // 403: signature segment looks like an option
	KindForbidden                          // 403 Forbidden: bad signature or secret
	KindSourceNotAllowed                   // 404 Invalid source URL: allow-list or refused address (SSRF)
	KindUnreachable                        // 404 Source is unreachable: unknown scheme, DNS, connect, redirects, missing object
	KindUpstreamStatus                     // origin non-200: UpstreamStatus carries it (4xx same, 5xx 502, else 404)
	KindDownloadTimeout                    // 504 Source is unreachable
	KindIncomplete                         // 422 Source response is incomplete
	KindSourceTooBig                       // 422 Invalid source image: file size or resolution over the limit
	KindInvalidImage                       // 422 Invalid source image: bytes match no known format
	KindUnsupportedFormat                  // 422 Invalid URL: known format this libvips cannot load
	KindCannotSave                         // 422 Invalid URL: requested output format cannot be saved
	KindBrokenImage                        // 422 Broken or unsupported image: decode failure
	KindBrokenSVG                          // 422 Broken or unsupported SVG image
	KindQueueFull                          // 429 Too many requests
	KindTimeout                            // 503 Timeout: IMGPROXY_TIMEOUT reached
	KindCanceled                           // 499 Cancelled: client went away
	KindResultTooBig                       // 422 Invalid URL: requested result dimensions over the limit
	KindHashsumMismatch                    // 422 Invalid source image: the source's digest is not the hashsum option's
	numKinds
)

// NumErrorKinds is the size of arrays indexed by ErrorKind.
const NumErrorKinds = int(numKinds)

var kindNames = [...]string{"unexpected", "invalid_url", "security_option", "signature_is_option", "forbidden",
	"source_not_allowed", "unreachable", "upstream_status", "download_timeout", "incomplete", "source_too_big",
	"invalid_image", "unsupported_format", "cannot_save", "broken_image", "broken_svg", "queue_full", "timeout",
	"canceled", "result_too_big", "hashsum_mismatch"}

// String returns a short snake_case name of the kind (for logs).
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unexpected"
}

// Error is a classified error. Msg is internal detail for logs and
// development mode; it never goes to clients in production mode.
type Error struct {
	Kind           ErrorKind
	UpstreamStatus int // origin's status for KindUpstreamStatus
	Msg            string
	Err            error // optional cause
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Msg != "":
		return e.Msg + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	case e.Msg != "":
		return e.Msg
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
// A %w verb in format sets the cause.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap classifies err under kind, keeping it as the cause.
func Wrap(kind ErrorKind, msg string, err error) *Error {
	return &Error{Kind: kind, Msg: msg, Err: err}
}

// KindOf classifies any error: an *Error anywhere in the chain gives its
// kind; otherwise context.DeadlineExceeded is KindTimeout and
// context.Canceled is KindCanceled; anything else is KindUnexpected.
func KindOf(err error) ErrorKind {
	if err == nil {
		return KindUnexpected
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindUnexpected
}

// ConfigError is a setting that cannot be used. Package main and every
// package's Config.Validate report bad settings with it, so that each
// message starts the same way, with the environment variable to fix:
// "IMGPROXY_QUALITY: 101 is above the maximum 100".
type ConfigError struct {
	// Var is the environment variable (IMGPROXY_*, IMGEDGE_*), or the Go
	// field for a setting no variable sets ("vips.Config.MaxResultPixels").
	Var string
	Err error
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Err.Error() }

func (e *ConfigError) Unwrap() error { return e.Err }

// ConfigErrorf returns a *ConfigError for variable with a formatted
// message; a %w verb keeps the cause.
func ConfigErrorf(variable, format string, args ...any) error {
	return &ConfigError{Var: variable, Err: fmt.Errorf(format, args...)}
}
