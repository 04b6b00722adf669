package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const unitPath = "systemd/imgedge.service"

// unitSettings parses a systemd unit into section -> key -> values (a key
// may repeat).
func unitSettings(t *testing.T, src string) map[string]map[string][]string {
	t.Helper()
	res := map[string]map[string][]string{}
	section := ""
	for i, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l[0] == ';' {
			continue
		}
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			section = l[1 : len(l)-1]
			res[section] = map[string][]string{}
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: cannot parse %q", unitPath, i+1, l)
		}
		res[section][k] = append(res[section][k], v)
	}
	return res
}

// writeTestUnit writes a copy of the unit whose ExecStart points at an
// existing executable (systemd-analyze verify checks that it exists).
func writeTestUnit(t *testing.T, exe string) string {
	t.Helper()
	src, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/imgedge\b`)
	if !re.Match(src) {
		t.Fatalf("%s: no ExecStart=/usr/local/bin/imgedge line", unitPath)
	}
	out := re.ReplaceAll(src, []byte("ExecStart="+exe))
	dir := t.TempDir()
	p := filepath.Join(dir, "imgedge.service")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testExecutable returns an executable for ExecStart: systemd-analyze
// verify only checks that the file exists and is executable, so this test
// binary does; it keeps the unit tests independent of the main package.
func testExecutable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestSystemdUnitVerify(t *testing.T) {
	tool := needTool(t, "systemd-analyze")
	unit := writeTestUnit(t, testExecutable(t))
	cmd := exec.Command(tool, "verify", "--man=no", unit)
	out, err := cmd.CombinedOutput()
	// verify exits 0 on unknown keys and only prints a warning: treat any
	// output as a failure so that typos in hardening options are caught.
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: err=%v, output:\n%s", err, out)
	}
}

// TestSystemdUnitSecurity keeps the unit's sandbox from regressing: systemd
// rates its exposure from 0 (locked down) to 10 (unprotected).
func TestSystemdUnitSecurity(t *testing.T) {
	tool := needTool(t, "systemd-analyze")
	unit := writeTestUnit(t, testExecutable(t))
	// --threshold is in tenths: 20 = exposure 2.0.
	out, err := exec.Command(tool, "security", "--offline=yes", "--threshold=20", "--no-pager", unit).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Unknown option") || strings.Contains(string(out), "unrecognized option") {
			t.Skipf("systemd-analyze too old for offline security review: %s", firstLines(string(out), 2))
		}
		t.Fatalf("systemd-analyze security: exposure above 2.0 or error %v:\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in output:\n%s", out)
	}
	t.Logf("exposure level %s", m[1])
}

func TestSystemdUnitSettings(t *testing.T) {
	u := unitSettings(t, readRepoFile(t, "deploy/"+unitPath))
	svc := u["Service"]
	if svc == nil {
		t.Fatalf("no [Service] section")
	}
	if _, ok := u["Install"]["WantedBy"]; !ok {
		t.Errorf("[Install] has no WantedBy: `systemctl enable` would do nothing")
	}
	for k, want := range map[string]string{
		"DynamicUser":     "yes",
		"ProtectSystem":   "strict",
		"ProtectHome":     "yes",
		"NoNewPrivileges": "yes",
		"PrivateTmp":      "yes",
		"PrivateDevices":  "yes",
		"EnvironmentFile": "-/etc/imgedge/imgedge.env",
		"ExecStart":       "/usr/local/bin/imgedge",
	} {
		if got := svc[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %q; want %q", k, got, want)
		}
	}
	for _, k := range []string{"RestrictAddressFamilies", "SystemCallFilter", "MemoryMax", "LimitNOFILE"} {
		if len(svc[k]) == 0 {
			t.Errorf("%s not set", k)
		}
	}
	env := map[string]string{}
	for _, e := range svc["Environment"] {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	names := map[string]bool{}
	for k := range env {
		names[k] = true
	}
	checkKnownVariables(t, unitPath+" Environment=", names)
	checkNoAllocatorVariables(t, unitPath+" Environment=", env)

	// systemd must wait longer than the server's own drain period.
	grace := 20 * time.Second // IMGPROXY_GRACEFUL_STOP_TIMEOUT default
	if v, ok := env["IMGPROXY_GRACEFUL_STOP_TIMEOUT"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("IMGPROXY_GRACEFUL_STOP_TIMEOUT=%q: %v", v, err)
		}
		grace = time.Duration(n) * time.Second
	}
	stop, err := time.ParseDuration(strings.TrimSpace(svc["TimeoutStopSec"][0]) + "s")
	if len(svc["TimeoutStopSec"]) != 1 || err != nil {
		t.Fatalf("TimeoutStopSec: got %q; want whole seconds", svc["TimeoutStopSec"])
	}
	if stop <= grace {
		t.Errorf("TimeoutStopSec=%v; want more than the graceful stop timeout %v", stop, grace)
	}
}

// TestEnvExample checks the environment file example: systemd's
// EnvironmentFile syntax, and every variable named in it is one imgedge reads.
func TestEnvExample(t *testing.T) {
	src := readRepoFile(t, "deploy/systemd/imgedge.env.example")
	names := map[string]bool{}
	re := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=`)
	for i, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		m := re.FindStringSubmatch(l)
		if m == nil {
			if l[0] != '#' {
				t.Errorf("line %d: %q is neither a comment nor KEY=value", i+1, l)
			}
			continue
		}
		if l[0] != '#' {
			t.Errorf("line %d: %q is active; the example should only have commented values", i+1, l)
		}
		names[m[1]] = true
	}
	if len(names) < 10 {
		t.Errorf("got %d example variables; want the common ones (>= 10)", len(names))
	}
	checkKnownVariables(t, "deploy/systemd/imgedge.env.example", names)
}
