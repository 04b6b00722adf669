package deploy

import (
	"bytes"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allocatorVariables would replace or retune the C allocator in one
// deployment form only: the binary applies its own settings (vips/cvips.c,
// docs/tuning.md "Allocator"), the same whether it is started by hand, by
// systemd, in the container or by `make run`.
var allocatorVariables = []string{"LD_PRELOAD", "MALLOC_CONF", "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_",
	"MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"}

func checkNoAllocatorVariables(t *testing.T, where string, env map[string]string) {
	t.Helper()
	for _, k := range allocatorVariables {
		if v, ok := env[k]; ok {
			t.Errorf("%s sets %s=%q: the allocator settings are built into the binary", where, k, v)
		}
	}
}

// TestMakeRunSetsNoAllocator: `make run` starts the binary like the other
// forms, without allocator variables.
func TestMakeRunSetsNoAllocator(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range allocatorVariables {
		if strings.Contains(string(b), k+"=") {
			t.Errorf("Makefile sets %s", k)
		}
	}
}

// TestServerBuiltinAllocator runs the real server the way every deployment
// form does (no allocator variables), processes an image through libvips,
// and checks that no other allocator was mapped in.
func TestServerBuiltinAllocator(t *testing.T) {
	root := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "src.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	base, _, pid := startServer(t, "IMGPROXY_LOCAL_FILESYSTEM_ROOT="+root)
	resp, err := http.Get(base + "/insecure/rs:fit:32:32/plain/local:///src.png@jpg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("got %d %s %q; want 200 image/jpeg", resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(len(body), 100)])
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("result is not a decodable image: %v", err)
	}
	if cfg.Width != 32 || cfg.Height != 24 {
		t.Errorf("result %dx%d; want 32x24", cfg.Width, cfg.Height)
	}
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range []string{"libjemalloc", "libtcmalloc", "libmimalloc"} {
		if strings.Contains(string(maps), lib) {
			t.Errorf("%s is mapped into a server started without allocator variables", lib)
		}
	}
}
