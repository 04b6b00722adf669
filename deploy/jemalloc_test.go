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

// TestServerWithJemalloc runs the real server the way the image and the
// systemd unit do (LD_PRELOAD of Debian's jemalloc with the image's
// MALLOC_CONF), processes an image through libvips, and checks that jemalloc
// is really mapped into the process.
func TestServerWithJemalloc(t *testing.T) {
	lib := localPackageFile(t, "libjemalloc2", "/libjemalloc.so.2")
	_, runtime := loadDockerfile(t)
	conf := runtime.env(t)["MALLOC_CONF"]

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

	base, _, pid := startServer(t, "LD_PRELOAD="+lib, "MALLOC_CONF="+conf, "IMGPROXY_LOCAL_FILESYSTEM_ROOT="+root)
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(maps), "libjemalloc.so") {
		t.Errorf("libjemalloc is not mapped into the server process: LD_PRELOAD had no effect")
	}
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
}
