// Package testclient builds request paths with imgproxy's official
// JavaScript client library (@imgproxy/imgproxy-node, pinned by the lock
// file in options/testdata/jsclient), so that tests can check that imgedge
// understands URLs written by a real client: the parser's tests in
// package options and the server round trips at the repository root.
//
// It is test support only (it calls testing.TB's Fatal and Skip): nothing
// in the server imports it. It needs node and npm and skips the test
// without them.
package testclient

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Case is one URL for the client library to build (the protocol of
// options/testdata/jsclient/gen.cjs): the source URL, how to embed it
// ("plain", "base64", the default, or "encrypted") and the option object in the shape of
// imgproxy-js-core's Options. Callers may pass their own structs with the
// same JSON fields.
type Case struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	DisplayAs string `json:"displayAs,omitempty"`
	// EncryptKey and EncryptIV (hex) encrypt the source URL with AES-256-CBC
	// for DisplayAs "encrypted" (imgproxy Pro's /enc/ sources).
	EncryptKey string         `json:"encryptKey,omitempty"`
	EncryptIV  string         `json:"encryptIV,omitempty"`
	Options    map[string]any `json:"options"`
}

// Paths runs the client library for cases (a slice of Case, or of structs
// with Case's JSON fields) and returns name -> request path
// ("/<signature>/<options>/<source>"). key and salt are hex; "" for both
// gives unsigned ("insecure") paths.
func Paths(t testing.TB, key, salt string, cases any) map[string]string {
	t.Helper()
	dir := clientDir(t)
	in, err := json.Marshal(map[string]any{"key": key, "salt": salt, "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	var sent struct{ Cases []json.RawMessage }
	if err := json.Unmarshal(in, &sent); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "gen.cjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	// The library falls back to these variables; gen.cjs clears them too.
	cmd.Env = append(os.Environ(), "IMGPROXY_KEY=", "IMGPROXY_SALT=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node gen.cjs: %v\n%s", err, stderr.Bytes())
	}
	var res []struct{ Name, Path string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decoding gen.cjs output %q: %v", out, err)
	}
	paths := map[string]string{}
	for _, r := range res {
		paths[r.Name] = r.Path
	}
	if len(paths) != len(sent.Cases) {
		t.Fatalf("gen.cjs returned %d paths for %d cases", len(paths), len(sent.Cases))
	}
	return paths
}

// clientDir returns a directory holding gen.cjs with node_modules
// installed: options/testdata/jsclient itself when installed there, else a
// cache directory keyed by the lock file and filled once with `npm ci`.
func clientDir(t testing.TB) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testclient: cannot locate its source directory")
	}
	src := filepath.Join(filepath.Dir(self), "..", "testdata", "jsclient")
	return NPMDir(t, src, filepath.Join("@imgproxy", "imgproxy-node"), "gen.cjs")
}

// NPMDir returns a directory holding the files of the npm project in src
// (its package.json and package-lock.json plus files) with node_modules
// installed: src itself when node_modules/marker exists there, else a
// cache directory keyed by the lock file and filled once with `npm ci`.
// It skips the test when node or npm is missing.
func NPMDir(t testing.TB, src, marker string, files ...string) string {
	t.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (make deps installs it): %v", bin, err)
		}
	}
	installed := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "node_modules", marker))
		return err == nil
	}
	if installed(src) {
		return src
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "imgedge-"+filepath.Base(src)+"-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{"package.json", "package-lock.json"}, files...) {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if installed(dir) {
		return dir
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return dir
}
