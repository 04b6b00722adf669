package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// newLogger builds the process logger (IMGPROXY_LOG_FORMAT, IMGPROXY_LOG_LEVEL).
// An empty format means pretty on a terminal, structured otherwise.
func newLogger(w io.Writer, format, level string, tty bool) *slog.Logger {
	var lvl slog.Level
	switch level {
	case "error":
		lvl = slog.LevelError
	case "warn":
		lvl = slog.LevelWarn
	case "debug":
		lvl = slog.LevelDebug
	default:
		lvl = slog.LevelInfo
	}
	return slog.New(newLogHandler(w, logFormat(format, tty), lvl, tty))
}

// logFormat resolves IMGPROXY_LOG_FORMAT: empty means pretty on a
// terminal, structured otherwise.
func logFormat(format string, tty bool) string {
	if format != "" {
		return format
	}
	if tty {
		return "pretty"
	}
	return "structured"
}

// newLogHandler writes records at lvl and above to w in format (pretty,
// structured, json or gcp); color only for pretty on a terminal. The
// syslog output formats its lines with it as well.
func newLogHandler(w io.Writer, format string, lvl slog.Level, tty bool) slog.Handler {
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.NewJSONHandler(w, opts)
	case "gcp":
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				sev := "INFO"
				if l, ok := a.Value.Any().(slog.Level); ok {
					switch {
					case l >= slog.LevelError:
						sev = "ERROR"
					case l >= slog.LevelWarn:
						sev = "WARNING"
					case l < slog.LevelInfo:
						sev = "DEBUG"
					}
				}
				return slog.String("severity", sev)
			case slog.MessageKey:
				a.Key = "message"
			}
			return a
		}
		return slog.NewJSONHandler(w, opts)
	case "pretty":
		return &prettyHandler{w: w, level: lvl, mu: new(sync.Mutex), color: tty}
	}
	return slog.NewTextHandler(w, opts)
}

// isTerminal reports whether w is a terminal (for the default log format).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// prettyHandler writes one human-readable line per record:
//
//	16:40:01.123 INFO  listening addr=127.0.0.1:8080 workers=4
//
// It is safe for concurrent use (one write per record under a mutex shared
// by the handlers derived with WithAttrs/WithGroup).
type prettyHandler struct {
	w      io.Writer
	level  slog.Level
	mu     *sync.Mutex
	color  bool
	prefix string // rendered attrs from WithAttrs
	group  string // current group prefix "a.b."
}

func (h *prettyHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *prettyHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("15:04:05.000"))
	b.WriteByte(' ')
	lv, col := "INFO ", "\x1b[32m"
	switch {
	case r.Level >= slog.LevelError:
		lv, col = "ERROR", "\x1b[31m"
	case r.Level >= slog.LevelWarn:
		lv, col = "WARN ", "\x1b[33m"
	case r.Level < slog.LevelInfo:
		lv, col = "DEBUG", "\x1b[36m"
	}
	if h.color {
		b.WriteString(col + lv + "\x1b[0m")
	} else {
		b.WriteString(lv)
	}
	b.WriteByte(' ')
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

func appendAttr(b *bytes.Buffer, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, g, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(group)
	b.WriteString(a.Key)
	b.WriteByte('=')
	s := a.Value.String()
	if needsQuote(s) {
		b.WriteString(strconv.Quote(s))
	} else {
		b.WriteString(s)
	}
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, c := range s {
		if c <= ' ' || c == '"' || c == '=' || c > '~' {
			return true
		}
	}
	return false
}

func (h *prettyHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b bytes.Buffer
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	h2 := *h
	h2.prefix += b.String()
	return &h2
}

func (h *prettyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group += name + "."
	return &h2
}
