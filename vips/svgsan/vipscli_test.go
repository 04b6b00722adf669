package svgsan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSanitizedRendersWithLibrsvg: the sanitised typical document still
// loads in librsvg (through the vips CLI) at its declared size. Skipped
// without the vips CLI or with -short.
func TestSanitizedRendersWithLibrsvg(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns vips: skipped with -short")
	}
	if _, err := exec.LookPath("vips"); err != nil {
		t.Skip("vips CLI not installed")
	}
	out, err := Sanitize(nil, []byte(typicalSVG))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "s.svg")
	if err := os.WriteFile(in, out, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command("vipsheader", "-f", "width", in).CombinedOutput()
	if err != nil {
		t.Fatalf("librsvg cannot load the sanitised SVG: %v: %s", err, res)
	}
	if got := strings.TrimSpace(string(res)); got != "240" {
		t.Fatalf("got width %s; want 240", got)
	}
}
