package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the module root: this package lives in <root>/deploy.
const repoRoot = ".."

var tmpDir string

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
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if b, err := cmd.CombinedOutput(); err != nil {
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
