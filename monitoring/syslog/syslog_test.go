package syslog

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// textFormat stands in for the process's log format: logfmt without time.
func textFormat(w io.Writer, level slog.Level) slog.Handler {
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if len(g) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
}

// readMessages reads datagrams from conn until want arrive or a second
// passes without one.
func readMessages(t *testing.T, conn net.PacketConn, want int) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 64<<10)
	for len(out) < want {
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("got %d messages %q; want %d: %v", len(out), out, want, err)
		}
		out = append(out, string(buf[:n]))
	}
	return out
}

// logAll logs one record per level through a logger on h.
func logAll(h slog.Handler) {
	log := slog.New(h).With("request_id", "r1").WithGroup("img")
	log.Debug("debug line", "k", 1)
	log.Info("info line", "status", 200)
	log.Warn("warn line")
	log.Error("error line", "error", "boom")
	log.Log(context.Background(), LevelCrit, "crit line")
}

func TestSyslogUDP(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg := DefaultConfig()
	cfg.Enable, cfg.Network, cfg.Address, cfg.Tag = true, "udp", conn.LocalAddr().String(), "imgedge-test"
	h, err := New(cfg, textFormat)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	logAll(h)
	msgs := readMessages(t, conn, 4) // info and above
	tag := "imgedge-test[" + strconv.Itoa(os.Getpid()) + "]: "
	// <facility user (1) * 8 + severity>
	for i, want := range []struct{ pri, text string }{
		{"<14>", `level=INFO msg="info line" request_id=r1 img.status=200`},
		{"<12>", `level=WARN msg="warn line" request_id=r1`},
		{"<11>", `level=ERROR msg="error line" request_id=r1 img.error=boom`},
		{"<10>", `level=ERROR+8 msg="crit line" request_id=r1`},
	} {
		m := msgs[i]
		if !strings.HasPrefix(m, want.pri) || !strings.Contains(m, tag) || !strings.HasSuffix(strings.TrimRight(m, "\n"), want.text) {
			t.Errorf("message %d: got %q; want priority %s, tag %q and text %q", i, m, want.pri, tag, want.text)
		}
	}
}

func TestSyslogUnixSocketLevel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg := DefaultConfig()
	cfg.Enable, cfg.Network, cfg.Address = true, "unixgram", path
	cfg.Level, err = ParseLevel("error")
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(cfg, textFormat)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// Tee: stderr stand-in at info plus syslog at error.
	var stderr bytes.Buffer
	logAll(Tee(textFormat(&stderr, slog.LevelInfo), h, (*Handler)(nil)))
	msgs := readMessages(t, conn, 2)
	if !strings.Contains(msgs[0], "imgproxy[") || !strings.Contains(msgs[0], `msg="error line"`) || !strings.Contains(msgs[1], `msg="crit line"`) {
		t.Fatalf("got %q; want the error and crit lines tagged imgproxy", msgs)
	}
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := conn.ReadFrom(make([]byte, 1024)); err == nil {
		t.Fatalf("got a third message %d bytes; want only error and above", n)
	}
	if got := strings.Count(stderr.String(), "\n"); got != 4 {
		t.Fatalf("stderr got %d lines; want 4 (info and above):\n%s", got, stderr.String())
	}
}

func TestSyslogConfig(t *testing.T) {
	if h, err := New(DefaultConfig(), textFormat); h != nil || err != nil {
		t.Fatalf("off: got %v, %v; want nil, nil", h, err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Enable: true, Network: "udp"}, "IMGPROXY_SYSLOG_ADDRESS"},
		{Config{Enable: true, Address: "127.0.0.1:514"}, "IMGPROXY_SYSLOG_NETWORK"},
		{Config{Enable: true, Network: "unixgram", Address: "/nonexistent/imgedge.sock"}, "IMGPROXY_SYSLOG_ADDRESS"},
	} {
		if _, err := New(c.cfg, textFormat); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v; want an error naming %s", c.cfg, err, c.want)
		}
	}
	if _, err := ParseLevel("verbose"); err == nil {
		t.Error("ParseLevel(verbose): got nil error")
	}
}
