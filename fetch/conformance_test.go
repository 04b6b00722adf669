package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// sourceEnv is one source kind under the conformance suite: a Fetcher
// configured for it and a way to store objects in the server behind it.
type sourceEnv struct {
	f *Fetcher
	// put stores data under key and returns the source URL that reads it.
	put func(t *testing.T, key string, data []byte, contentType string) string
	// missing is a URL of an object that does not exist.
	missing string
	// denied, when set, is a URL in a bucket/container the config denies.
	denied string
	// contentType reports whether the source returns the stored type.
	contentType bool
}

// runConformance checks what every source must do: serve the bytes with
// validators, 404 for a missing object, 304 for matching validators (ETag
// and Last-Modified), the size limit, and raw streaming.
func runConformance(t *testing.T, env sourceEnv) {
	ctx := context.Background()
	img := randomBytes(70_000)
	url := env.put(t, "dir/image.png", img, "image/png")
	f := env.f

	var meta options.SourceMeta
	got := mustFetch(t, f, ctx, url, nil, &meta)
	if !bytes.Equal(got, img) {
		t.Fatalf("got %d bytes; want the %d stored bytes", len(got), len(img))
	}
	if meta.ETag == "" || meta.NotModified {
		t.Fatalf("got meta %+v; want an ETag and NotModified false", meta)
	}
	lm, err := http.ParseTime(meta.LastModified)
	if err != nil {
		t.Fatalf("got Last-Modified %q; want an HTTP date: %v", meta.LastModified, err)
	}
	if env.contentType && meta.ContentType != "image/png" {
		t.Fatalf("got Content-Type %q; want %q", meta.ContentType, "image/png")
	}

	// Missing object → 404.
	_, err = f.Fetch(ctx, env.missing, nil, 0)
	wantKind(t, err, options.KindUpstreamStatus)
	if s := err.(*options.Error).UpstreamStatus; s != 404 {
		t.Fatalf("missing: got upstream status %d; want 404", s)
	}

	// Validators.
	for _, c := range []struct {
		name string
		cond options.Conditional
		nm   bool
	}{
		{"etag match", options.Conditional{IfNoneMatch: meta.ETag}, true},
		{"etag in list", options.Conditional{IfNoneMatch: `"nope", ` + meta.ETag}, true},
		{"etag mismatch", options.Conditional{IfNoneMatch: `"nope"`}, false},
		{"not modified since", options.Conditional{IfModifiedSince: httpTime(lm)}, true},
		{"later", options.Conditional{IfModifiedSince: httpTime(lm.Add(time.Hour))}, true},
		{"modified since", options.Conditional{IfModifiedSince: httpTime(lm.Add(-time.Hour))}, false},
		{"etag mismatch wins over date", options.Conditional{IfNoneMatch: `"nope"`, IfModifiedSince: httpTime(lm)}, false},
	} {
		src, err := f.Fetch(ctx, url, &c.cond, 0)
		data, m := src.Data, src.Meta
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.NotModified != c.nm {
			t.Fatalf("%s: got NotModified %v; want %v", c.name, m.NotModified, c.nm)
		}
		if c.nm && len(data) != 0 {
			t.Fatalf("%s: got %d bytes with NotModified; want none", c.name, len(data))
		}
		if !c.nm && !bytes.Equal(data, img) {
			t.Fatalf("%s: got %d bytes; want the stored bytes", c.name, len(data))
		}
		if m.ETag != meta.ETag {
			t.Fatalf("%s: got ETag %q; want %q", c.name, m.ETag, meta.ETag)
		}
		src.Release()
	}

	// Size limit.
	_, err = f.Fetch(ctx, url, nil, 10_000)
	wantKind(t, err, options.KindSourceTooBig)

	// Raw streaming.
	var resp options.StreamResponse
	rc, err := f.Stream(ctx, url, &options.StreamRequest{}, &resp)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	got, err = io.ReadAll(rc)
	rc.Close()
	if err != nil || resp.Status != 200 || !bytes.Equal(got, img) || resp.ETag != meta.ETag {
		t.Fatalf("Stream: got %v, status %d, %d bytes, ETag %q; want 200 with the stored bytes", err, resp.Status, len(got), resp.ETag)
	}
	rc, err = f.Stream(ctx, url, &options.StreamRequest{IfNoneMatch: meta.ETag}, &resp)
	if err != nil {
		t.Fatalf("conditional Stream: %v", err)
	}
	rc.Close()
	if resp.Status != 304 {
		t.Fatalf("conditional Stream: got status %d; want 304", resp.Status)
	}
	if _, err := f.Stream(ctx, env.missing, nil, &resp); err == nil {
		// HTTP origins pass a 404 through; bucket stores report it.
		if resp.Status != 404 {
			t.Fatalf("Stream of a missing object: got status %d; want 404", resp.Status)
		}
	} else if s := err.(*options.Error).UpstreamStatus; s != 404 {
		t.Fatalf("Stream of a missing object: got %v; want 404", err)
	}

	if env.denied != "" {
		_, err = f.Fetch(ctx, env.denied, nil, 0)
		wantKind(t, err, options.KindUnreachable)
	}
}

func TestConformanceLocal(t *testing.T) {
	root := t.TempDir()
	runConformance(t, sourceEnv{
		f: newLoopbackFetcher(t, func(c *Config) { c.LocalRoot = root }),
		put: func(t *testing.T, key string, data []byte, _ string) string {
			p := filepath.Join(root, filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return "local:///" + key
		},
		missing:     "local:///dir/missing.png",
		contentType: true,
	})
}

func TestConformanceHTTP(t *testing.T) {
	objects := map[string][]byte{}
	mod := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	srv, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		data, ok := objects[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"`+r.URL.Path+`"`)
		http.ServeContent(w, r, r.URL.Path, mod, bytes.NewReader(data))
	})
	runConformance(t, sourceEnv{
		f: newLoopbackFetcher(t, nil),
		put: func(t *testing.T, key string, data []byte, _ string) string {
			objects["/"+key] = data
			return srv.URL + "/" + key
		},
		missing:     srv.URL + "/dir/missing.png",
		contentType: true,
	})
}
