package main

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgedge/imgedge/vips/testimage"
)

func TestE2EPDF(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "doc.pdf"), testimage.PDF(300, 150), 0o644); err != nil {
		t.Fatal(err)
	}
	const path = "/insecure/w:120/plain/local:///doc.pdf"
	get := func(base string) (int, string, []byte) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}

	t.Run("off", func(t *testing.T) {
		base, _ := startImgedge(t, map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root})
		if code, _, body := get(base); code != http.StatusUnprocessableEntity {
			t.Fatalf("got %d (%q); want 422", code, body)
		}
	})
	t.Run("on", func(t *testing.T) {
		base, _ := startImgedge(t, map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root, "IMGEDGE_ENABLE_PDF": "true"})
		code, ct, body := get(base)
		if code != http.StatusOK || ct != "image/jpeg" {
			t.Fatalf("got %d %q (%q); want 200 image/jpeg", code, ct, body)
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 120 || b.Dy() != 60 {
			t.Fatalf("got %dx%d; want 120x60", b.Dx(), b.Dy())
		}
	})
}
