package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// e2ePDF writes a minimal one-page w×h pt PDF with a filled rectangle
// (object offsets in the xref table computed as it is written).
func e2ePDF(w, h int) []byte {
	content := fmt.Sprintf("0 0 1 rg 10 10 %d %d re f\n", w-20, h-20)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R /Resources << >> >>", w, h),
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func TestE2EPDF(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "doc.pdf"), e2ePDF(300, 150), 0o644); err != nil {
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
