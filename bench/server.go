package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// buildServer runs `go build -o bin/imgedge .` in root.
func buildServer(root, bin string) error {
	logf("building the server: go build -o %s .", bin)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build -o %s . in %s: %w", bin, root, err)
	}
	return nil
}

// server is an imgedge (or any imgproxy-compatible) process started by
// the bench.
type server struct {
	cmd        *exec.Cmd
	base       string // http://127.0.0.1:port
	metricsURL string // Prometheus listener, "" when unknown
	exited     chan struct{}
	log        *bytes.Buffer // the server's stderr+stdout, for failures
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts bin with IMGPROXY_BIND and IMGPROXY_PROMETHEUS_BIND
// on free loopback ports and IMGPROXY_LOCAL_FILESYSTEM_ROOT at photosDir,
// plus extra environment (KEY=VALUE, later wins), and waits until
// /health answers 200.
func startServer(bin, photosDir string, extra []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(photosDir)
	if err != nil {
		return nil, err
	}
	s := &server{
		base:       "http://127.0.0.1:" + strconv.Itoa(port),
		metricsURL: "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics",
		exited:     make(chan struct{}),
		log:        &bytes.Buffer{},
	}
	s.cmd = exec.Command(bin)
	s.cmd.Env = append(os.Environ(),
		"IMGPROXY_BIND=127.0.0.1:"+strconv.Itoa(port),
		"IMGPROXY_PROMETHEUS_BIND=127.0.0.1:"+strconv.Itoa(mport),
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT="+abs,
	)
	s.cmd.Env = append(s.cmd.Env, extra...)
	w := &lockedWriter{w: s.log}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitHealthy(60 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; server output:\n%s", err, tail(w.String(), 2000))
	}
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("the server exited during startup")
		default:
		}
		resp, err := c.Get(s.base + "/health")
		if err == nil {
			drain(resp.Body)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from %s/health within %v", s.base, limit)
}

// stop sends SIGTERM, then SIGKILL after 15 s.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 1<<20 { // keep the newest output only
		l.w.Reset()
	}
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// procStatus reads a "Vm...:  1234 kB" field of /proc/<pid>/status in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			fs := strings.Fields(v)
			if len(fs) == 0 {
				break
			}
			kb, err := strconv.ParseInt(fs[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// rssWatch tracks the peak RSS of a process during a run: it resets the
// kernel's high-water mark (VmHWM, via /proc/pid/clear_refs, allowed for
// our own processes) and also samples VmRSS, in case the reset is not
// permitted.
type rssWatch struct {
	pid   int
	reset bool
	max   atomic.Int64
	stop  context.CancelFunc
	done  chan struct{}
}

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{pid: pid, done: make(chan struct{})}
	if pid <= 0 {
		close(w.done)
		w.stop = func() {}
		return w
	}
	w.reset = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	go func() {
		defer close(w.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := procStatus(pid, "VmRSS"); err == nil && v > w.max.Load() {
				w.max.Store(v)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// peak stops sampling and returns the peak RSS in bytes (0 = unknown).
func (w *rssWatch) peak() int64 {
	w.stop()
	<-w.done
	if w.pid <= 0 {
		return 0
	}
	m := w.max.Load()
	if w.reset {
		if hwm, err := procStatus(w.pid, "VmHWM"); err == nil && hwm > m {
			m = hwm
		}
	}
	return m
}

// scrapeMetric returns the value of the first sample whose name ends with
// name (so a namespace prefix does not matter) from a Prometheus text page.
func scrapeMetric(url, name string) (float64, error) {
	if url == "" {
		return 0, errors.New("no metrics URL")
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer drain(resp.Body)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		metric, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if metric == name || strings.HasSuffix(metric, "_"+name) {
			return strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	return 0, fmt.Errorf("%s not found at %s", name, url)
}

// cpuTime returns the user+system CPU time of process pid so far, from
// /proc/pid/stat (clock ticks of 1/100 s, the Linux USER_HZ); -1 when
// unknown.
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may contain spaces: fields count from
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14 utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15 stime
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
