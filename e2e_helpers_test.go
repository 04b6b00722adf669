package main

// Helpers for the end-to-end tests: TestMain builds the real binary once,
// startImgedge runs it on a free loopback port and waits until /health
// answers.
//
// How the port is found: the child gets IMGPROXY_BIND=127.0.0.1:0 (unless
// the test sets another) and IMGPROXY_LOG_FORMAT=json; the kernel picks a
// free port, and imgedge logs {"msg":"listening","addr":"127.0.0.1:NNNNN"}
// on stderr, which the helper parses. No port is reserved-then-released, so
// parallel tests cannot race for it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// imgedgeBin is the binary built by TestMain.
var imgedgeBin string

// testVersion is embedded into the test binary with -ldflags.
const testVersion = "v0.0.0-e2e"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imgedge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		os.Exit(1)
	}
	imgedgeBin = filepath.Join(dir, "imgedge")
	// A plain build (no -race) keeps start-up fast; the race detector
	// covers the packages' own tests.
	build := exec.Command("go", "build", "-o", imgedgeBin, "-ldflags", "-X main.version="+testVersion, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "TestMain: go build failed: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running imgedge process.
type server struct {
	URL    string // http://127.0.0.1:port (for a unix socket: http://unix)
	Addr   string // 127.0.0.1:port or the socket path
	Proc   *os.Process
	Client *http.Client // dials Addr (also for a unix socket)

	mu      sync.Mutex
	logs    bytes.Buffer
	logDone chan struct{} // closed when stderr reaches EOF (process exited)

	waitOnce  sync.Once
	waitState *os.ProcessState
	waitErr   error
}

// Logs returns everything the process wrote to stderr so far.
func (s *server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Wait waits for the process to exit (once; later calls return the same).
func (s *server) Wait() (*os.ProcessState, error) {
	s.waitOnce.Do(func() { s.waitState, s.waitErr = s.Proc.Wait() })
	return s.waitState, s.waitErr
}

// baseEnv is the environment every child starts from: no IMGPROXY_*
// variable of the developer's shell leaks in.
func baseEnv(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	defaults := map[string]string{
		"IMGPROXY_BIND":        "127.0.0.1:0",
		"IMGPROXY_LOG_FORMAT":  "json",
		"IMGPROXY_CONCURRENCY": "2",
	}
	if _, ok := env["IMGPROXY_WORKERS"]; ok {
		delete(defaults, "IMGPROXY_CONCURRENCY")
	}
	for k, v := range defaults {
		if _, ok := env[k]; !ok {
			out = append(out, k+"="+v)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// launch starts imgedge with env (on top of baseEnv) and waits until it
// logs its address and /health answers 200. The process is killed at the
// end of the test if it is still running.
func launch(t *testing.T, env map[string]string) *server {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(imgedgeBin)
	cmd.Env = baseEnv(env)
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	s := &server{Proc: cmd.Process, logDone: make(chan struct{})}
	type listening struct{ addr, network string }
	addrCh := make(chan listening, 1)
	go func() {
		defer close(s.logDone)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.mu.Lock()
			s.logs.Write(line)
			s.logs.WriteByte('\n')
			s.mu.Unlock()
			var rec struct {
				Msg     string `json:"msg"`
				Addr    string `json:"addr"`
				Network string `json:"network"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				select {
				case addrCh <- listening{rec.Addr, rec.Network}:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		s.Proc.Signal(syscall.SIGKILL)
		s.Wait()
		<-s.logDone
		if t.Failed() {
			t.Logf("imgedge output:\n%s", s.Logs())
		}
	})

	var ln listening
	select {
	case ln = <-addrCh:
	case <-s.logDone:
		t.Fatalf("imgedge exited before listening:\n%s", s.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("imgedge did not log its address within 60 s:\n%s", s.Logs())
	}
	s.Addr = ln.addr
	s.URL = "http://" + s.Addr
	s.Client = &http.Client{Timeout: 60 * time.Second}
	if ln.network == "unix" {
		s.URL = "http://unix"
		s.Client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", ln.addr)
		}}
	}
	health := env["IMGPROXY_PATH_PREFIX"] + "/health"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.Client.Get(s.URL + health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s did not answer 200 within 30 s (last error %v):\n%s", health, err, s.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// startImgedge runs imgedge with env and returns its base URL and process.
// See launch.
func startImgedge(t *testing.T, env map[string]string) (baseURL string, p *os.Process) {
	t.Helper()
	s := launch(t, env)
	return s.URL, s.Proc
}

// runImgedge runs the binary to completion with args and env (on top of
// baseEnv) and returns its exit code and combined output.
func runImgedge(t *testing.T, env map[string]string, args ...string) (code int, out string) {
	t.Helper()
	cmd := exec.Command(imgedgeBin, args...)
	cmd.Env = baseEnv(env)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("imgedge %v did not exit within 30 s; output:\n%s", args, buf.String())
	}
	return cmd.ProcessState.ExitCode(), buf.String()
}

// needTool returns the path of an external program the test drives, and
// skips the test when it is not installed (`make deps` installs them all).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (make deps installs it)", name)
	}
	return p
}
