package fetch

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// localFixture makes <tmp>/root with an image, a subdirectory, symlinks
// and a secret file next to (outside) the root.
func localFixture(t *testing.T) (root string, img []byte) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "root")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	img = randomBytes(50_000)
	must(os.WriteFile(filepath.Join(root, "sub", "a b.png"), img, 0o644))
	must(os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("secret"), 0o644))
	must(os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(root, "abs-link")))
	must(os.Symlink("../secret.txt", filepath.Join(root, "rel-link")))
	must(os.Symlink("sub/a b.png", filepath.Join(root, "inside-link.png")))
	must(os.Symlink(dir, filepath.Join(root, "dir-link")))
	must(syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	return root, img
}

func TestLocalFetch(t *testing.T) {
	root, img := localFixture(t)
	f := newLoopbackFetcher(t, func(c *Config) { c.LocalRoot = root })
	ctx := context.Background()
	for _, url := range []string{"local:///sub/a b.png", "local:///sub/a%20b.png", "local:///sub/../sub/a b.png",
		"local:///inside-link.png", "local:///sub/a b.png?ignored=1"} {
		var meta options.SourceMeta
		got := mustFetch(t, f, ctx, url, nil, &meta)
		if !bytes.Equal(got, img) {
			t.Fatalf("%s: got %d bytes; want the %d file bytes", url, len(got), len(img))
		}
		if meta.ETag == "" || meta.LastModified == "" || meta.ContentType != "image/png" {
			t.Fatalf("%s: got meta %+v; want ETag, Last-Modified and image/png", url, meta)
		}
	}

	// Escapes: never a file outside the root.
	for _, url := range []string{
		"local:///../secret.txt",
		"local:///%2e%2e/secret.txt",
		"local:///sub/..%2f..%2fsecret.txt",
		"local:///sub/../../secret.txt",
		"local:///" + filepath.Join(filepath.Dir(root), "secret.txt"), // absolute path: looked up inside the root
		"local:////" + filepath.Join(filepath.Dir(root), "secret.txt"),
		"local:///abs-link",
		"local:///rel-link",
		"local:///dir-link/secret.txt",
	} {
		src, err := f.Fetch(ctx, url, nil, 0)
		if err == nil {
			t.Fatalf("%s: got %q; want an error", url, src.Data)
		}
		k := options.KindOf(err)
		if k != options.KindUnreachable && !(k == options.KindUpstreamStatus && err.(*options.Error).UpstreamStatus == 404) {
			t.Fatalf("%s: got %v (kind %s); want unreachable or 404", url, err, k)
		}
	}
	for _, url := range []string{"local:///missing.png", "local:///sub", "local:///fifo", "local:///"} {
		_, err := f.Fetch(ctx, url, nil, 0)
		wantKind(t, err, options.KindUpstreamStatus)
		if s := err.(*options.Error).UpstreamStatus; s != 404 {
			t.Fatalf("%s: got upstream %d; want 404", url, s)
		}
	}

	// Size limit from the stat size.
	_, err := f.Fetch(ctx, "local:///sub/a b.png", nil, 1000)
	wantKind(t, err, options.KindSourceTooBig)

	// Disabled without a root.
	f2 := newLoopbackFetcher(t, nil)
	_, err = f2.Fetch(ctx, "local:///sub/a b.png", nil, 0)
	wantKind(t, err, options.KindUnreachable)
}

func TestLocalETagChanges(t *testing.T) {
	root, _ := localFixture(t)
	f := newLoopbackFetcher(t, func(c *Config) { c.LocalRoot = root })
	var m1, m2 options.SourceMeta
	mustFetch(t, f, context.Background(), "local:///sub/a b.png", nil, &m1)
	p := filepath.Join(root, "sub", "a b.png")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	mustFetch(t, f, context.Background(), "local:///sub/a b.png", nil, &m2)
	if m1.ETag == m2.ETag || m1.LastModified == m2.LastModified {
		t.Fatalf("after touching: got ETag %s → %s, LM %s → %s; want both changed", m1.ETag, m2.ETag, m1.LastModified, m2.LastModified)
	}
}

func TestLocalStream(t *testing.T) {
	root, img := localFixture(t)
	f := newLoopbackFetcher(t, func(c *Config) { c.LocalRoot = root })
	var resp options.StreamResponse
	rc, err := f.Stream(context.Background(), "local:///sub/a%20b.png", nil, &resp)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if resp.Status != 200 || !bytes.Equal(got, img) || resp.ContentLength != int64(len(img)) || resp.ContentType != "image/png" {
		t.Fatalf("got status %d, %d bytes, %+v; want 200 with the file", resp.Status, len(got), resp)
	}
	rc, err = f.Stream(context.Background(), "local:///sub/a%20b.png", &options.StreamRequest{IfNoneMatch: resp.ETag}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if resp.Status != 304 {
		t.Fatalf("got status %d; want 304", resp.Status)
	}
	_, err = f.Stream(context.Background(), "local:///../secret.txt", nil, &resp)
	if err == nil || strings.Contains(err.Error(), "secret\n") {
		t.Fatalf("escape via Stream: got %v; want an error", err)
	}
}
