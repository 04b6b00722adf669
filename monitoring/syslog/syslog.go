// Package syslog copies log records to a local or remote syslog daemon
// (IMGPROXY_SYSLOG_*, docs/monitoring.md#syslog) as an slog.Handler: each
// record is formatted like the process's own log lines (the configured
// IMGPROXY_LOG_FORMAT) and sent with the syslog severity of its level,
// facility user, through the standard library's log/syslog writer (RFC
// 3164 framing; it reconnects by itself after a write error).
package syslog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strings"
	"sync"

	"github.com/imgedge/imgedge/options"
)

// LevelCrit is the level of IMGPROXY_SYSLOG_LEVEL=crit: above error, so
// only records logged at LevelCrit or higher reach syslog.
const LevelCrit = slog.LevelError + 8

// Config configures the syslog output. The comments name the variable
// main reads for each field.
type Config struct {
	// Enable turns syslog output on (IMGPROXY_SYSLOG_ENABLE, default false).
	Enable bool
	// Level is the lowest level sent (IMGPROXY_SYSLOG_LEVEL: debug, info,
	// warn, error or crit; default info). See ParseLevel.
	Level slog.Level
	// Network and Address name a remote daemon, e.g. "udp" and
	// "logs.example.com:514", or "unixgram" and a socket path
	// (IMGPROXY_SYSLOG_NETWORK, IMGPROXY_SYSLOG_ADDRESS). An empty Network
	// means the local daemon (/dev/log and the usual sockets).
	Network, Address string
	// Tag prefixes every message (IMGPROXY_SYSLOG_TAG, default "imgproxy").
	Tag string
}

// DefaultConfig returns imgproxy's defaults: off, level info, tag imgproxy.
func DefaultConfig() Config {
	return Config{Level: slog.LevelInfo, Tag: "imgproxy"}
}

// ParseLevel parses IMGPROXY_SYSLOG_LEVEL.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "crit":
		return LevelCrit, nil
	}
	return 0, fmt.Errorf("%q is not one of debug, info, warn, error, crit", s)
}

// Validate checks c (only when enabled) and names the variable behind a
// bad value.
func (c *Config) Validate() error {
	if !c.Enable {
		return nil
	}
	if c.Network != "" && c.Address == "" {
		return options.ConfigErrorf("IMGPROXY_SYSLOG_ADDRESS", "required when IMGPROXY_SYSLOG_NETWORK is set (%q)", c.Network)
	}
	if c.Network == "" && c.Address != "" {
		return options.ConfigErrorf("IMGPROXY_SYSLOG_NETWORK", "required when IMGPROXY_SYSLOG_ADDRESS is set (%q); e.g. udp, tcp or unixgram", c.Address)
	}
	return nil
}

// Formatter builds an slog.Handler that writes records to w in the
// process's log format, logging records at level and above.
type Formatter func(w io.Writer, level slog.Level) slog.Handler

// Handler is an slog.Handler that sends records to syslog. It is safe for
// concurrent use; handlers derived with WithAttrs/WithGroup share its
// connection. Close it at shutdown.
type Handler struct {
	shared *shared
	inner  slog.Handler // formats into shared.buf
	level  slog.Level
}

type shared struct {
	mu  sync.Mutex
	w   *syslog.Writer
	buf bytes.Buffer
}

// New connects to syslog and returns the handler; nil and no error when
// cfg.Enable is false. format renders records (see Formatter).
func New(cfg Config, format Formatter) (*Handler, error) {
	if !cfg.Enable {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w, err := syslog.Dial(cfg.Network, cfg.Address, syslog.LOG_USER|syslog.LOG_INFO, cfg.Tag)
	if err != nil {
		if cfg.Network == "" {
			return nil, options.ConfigErrorf("IMGPROXY_SYSLOG_ENABLE", "cannot reach the local syslog daemon: %w", err)
		}
		return nil, options.ConfigErrorf("IMGPROXY_SYSLOG_ADDRESS", "cannot reach syslog at %s %q: %w", cfg.Network, cfg.Address, err)
	}
	s := &shared{w: w}
	return &Handler{shared: s, inner: format(&s.buf, cfg.Level), level: cfg.Level}, nil
}

// Close closes the connection to the daemon.
func (h *Handler) Close() error { return h.shared.w.Close() }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

// Handle implements slog.Handler: one syslog message per record, without
// the trailing newline.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	s := h.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Reset()
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	msg := strings.TrimRight(s.buf.String(), "\n")
	switch {
	case r.Level >= LevelCrit:
		return s.w.Crit(msg)
	case r.Level >= slog.LevelError:
		return s.w.Err(msg)
	case r.Level >= slog.LevelWarn:
		return s.w.Warning(msg)
	case r.Level >= slog.LevelInfo:
		return s.w.Info(msg)
	default:
		return s.w.Debug(msg)
	}
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{shared: h.shared, inner: h.inner.WithAttrs(as), level: h.level}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{shared: h.shared, inner: h.inner.WithGroup(name), level: h.level}
}

// Tee returns a handler that passes each record to every non-nil handler
// that is enabled for its level (for stderr plus syslog); a nil *Handler
// (syslog off) counts as nil.
func Tee(hs ...slog.Handler) slog.Handler {
	var live []slog.Handler
	for _, h := range hs {
		if sh, ok := h.(*Handler); h == nil || ok && sh == nil {
			continue
		}
		live = append(live, h)
	}
	if len(live) == 1 {
		return live[0]
	}
	return tee(live)
}

type tee []slog.Handler

func (t tee) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t tee) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range t {
		if !h.Enabled(ctx, r.Level) {
			continue
		}
		if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (t tee) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(tee, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (t tee) WithGroup(name string) slog.Handler {
	out := make(tee, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}
