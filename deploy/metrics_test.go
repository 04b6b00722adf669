package deploy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs the built imgedge with the given extra environment and
// returns its image and metrics base URLs and its pid. It is stopped with
// SIGTERM when the test ends.
func startServer(t *testing.T, env ...string) (base, metricsURL string, pid int) {
	t.Helper()
	bin := builtBinary(t)
	addr, maddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "IMGPROXY_BIND="+addr, "IMGPROXY_PROMETHEUS_BIND="+maddr,
		"IMGPROXY_LOG_LEVEL=error", "IMGPROXY_KEY=", "IMGPROXY_SALT=", "IMGPROXY_PROMETHEUS_NAMESPACE=")
	cmd.Env = append(cmd.Env, env...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	base = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("imgedge exited early: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("imgedge not healthy after 15 s: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return base, "http://" + maddr + "/metrics", cmd.Process.Pid
}

// scrapeTypes returns metric name -> type from the # TYPE lines.
func scrapeTypes(t *testing.T, url string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	types := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	if len(types) == 0 {
		t.Fatalf("no # TYPE lines at %s", url)
	}
	return types
}

// TestMetricsDocumented starts the real server, makes one request so every
// lazily created series exists, and checks that docs/metrics.md lists
// exactly the server's own metrics (go_* and process_* are documented as
// families) with the right types.
func TestMetricsDocumented(t *testing.T) {
	base, murl, _ := startServer(t)
	if resp, err := http.Get(base + "/insecure/rs:fit:10:10/plain/http://127.0.0.1:1/x.jpg"); err == nil {
		resp.Body.Close()
	}
	served := scrapeTypes(t, murl)

	md := readRepoFile(t, "docs/metrics.md")
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (counter|gauge|histogram) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(md, -1) {
		documented[m[1]] = m[2]
	}
	var problems []string
	for name, typ := range served {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		switch d, ok := documented[name]; {
		case !ok:
			problems = append(problems, fmt.Sprintf("server exposes %s (%s), docs/metrics.md does not list it", name, typ))
		case d != typ:
			problems = append(problems, fmt.Sprintf("%s: docs say %s; server says %s", name, d, typ))
		}
	}
	for name := range documented {
		if _, ok := served[name]; !ok {
			problems = append(problems, fmt.Sprintf("docs/metrics.md lists %s, the server does not expose it", name))
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	for _, fam := range []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if _, ok := served[fam]; !ok {
			t.Errorf("server does not expose %s; docs/metrics.md promises the go_/process_ families", fam)
		}
	}
}

// TestHealthCommand runs the Dockerfile's HEALTHCHECK command with the
// image's environment against a running server (exit 0) and against a port
// nobody listens on (exit non-zero), as Docker and systemd users rely on.
func TestHealthCommand(t *testing.T) {
	_, runtime := loadDockerfile(t)
	hc := runtime.all("HEALTHCHECK")[0]
	_, cmdJSON, _ := strings.Cut(hc.Args, "CMD ")
	argv := execForm(t, hc, cmdJSON)
	bin := builtBinary(t)
	base, _, _ := startServer(t)
	addr := strings.TrimPrefix(base, "http://")

	run := func(bind string) error {
		cmd := exec.Command(bin, argv[1:]...)
		env := os.Environ()
		for k, v := range runtime.env(t) {
			if strings.HasPrefix(k, "IMGPROXY_") {
				env = append(env, k+"="+v)
			}
		}
		cmd.Env = append(env, "IMGPROXY_BIND="+bind)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("%s health (IMGPROXY_BIND=%s): %v %s", bin, bind, err, out)
		}
		return err
	}
	if err := run(addr); err != nil {
		t.Errorf("health against a running server: got %v; want exit 0", err)
	}
	if err := run(freeAddr(t)); err == nil {
		t.Errorf("health against a closed port: got exit 0; want non-zero")
	}
}
