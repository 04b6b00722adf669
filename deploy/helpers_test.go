package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the module root: this package lives in <root>/deploy.
const repoRoot = ".."

var tmpDir string

// buildTimeout bounds the build of the binary in builtBinary.
const buildTimeout = 7 * time.Minute

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "imgedge-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	tmpDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	binSkip   string
	binErr    error
)

// builtBinary builds the imgedge binary (the main package at the repo root)
// once per test run and returns its path. It skips the test while the repo
// has no main package yet; a main package that does not compile fails it.
// IMGEDGE_BIN=/path/to/imgedge checks a prebuilt binary instead.
func builtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("IMGEDGE_BIN"); p != "" {
			binPath = p
			return
		}
		mains, _ := filepath.Glob(filepath.Join(repoRoot, "*.go"))
		hasMain := false
		for _, f := range mains {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, []byte("package main")) {
				hasMain = true
				break
			}
		}
		if !hasMain {
			binSkip = "no main package at the repo root yet"
			return
		}
		out := filepath.Join(tmpDir, "imgedge")
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		// Bounded so that an overloaded machine skips these tests instead of
		// hitting the test binary's timeout; normally the build is mostly
		// cache hits from the other packages' tests.
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			if ctx.Err() != nil {
				binSkip = fmt.Sprintf("building the imgedge binary took longer than %v (overloaded machine?)", buildTimeout)
				return
			}
			binErr = fmt.Errorf("go build of the main package failed: %v\n%s", err, b)
			return
		}
		binPath = out
	})
	if binSkip != "" {
		t.Skip(binSkip)
	}
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// needTool skips the test when an external tool is not installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatalf("cannot read %s: %v", rel, err)
	}
	return string(b)
}

// knownVariables returns the IMGPROXY_* names that the code's config table
// (package main at the repo root) and the generated docs/config.md mention.
func knownVariables(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(IMGPROXY|IMGEDGE)_[A-Z0-9_]+`)
	set := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(repoRoot, "*.go"))
	files = append(files, filepath.Join(repoRoot, "docs", "config.md"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, n := range re.FindAllString(string(b), -1) {
			set[n] = true
		}
	}
	return set
}

// otherVariables are the non-IMGPROXY_ variables the packaging files may set.
var otherVariables = map[string]bool{
	"LD_PRELOAD": true, "MALLOC_CONF": true, "MALLOC_ARENA_MAX": true, "VIPS_NOVECTOR": true,
	"AWS_REGION": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
	"GOMAXPROCS": true, "GOMEMLIMIT": true, "PORT": true,
}

// checkKnownVariables fails for every name that imgedge does not read. It is
// a no-op until the config table exists.
func checkKnownVariables(t *testing.T, where string, names map[string]bool) {
	t.Helper()
	known := knownVariables(t)
	if len(known) < 20 {
		t.Logf("config table not found yet (%d IMGPROXY_ names); variable names in %s not checked", len(known), where)
		return
	}
	for n := range names {
		if !known[n] && !otherVariables[n] {
			t.Errorf("%s: variable %s is not in the config table (main package / docs/config.md)", where, n)
		}
	}
}
