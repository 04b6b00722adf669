package fetch

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Run with: go test ./fetch -run '^$' -bench . -benchmem -benchtime=200ms
//
// Baselines: os.ReadFile (a fresh allocation per read, what the pooled
// path replaces) and io.ReadAll of an HTTP body (growing copies).

const benchSize = 500 << 10

func benchLocal(b *testing.B) (*Fetcher, string) {
	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "img.jpg"), randomBytes(benchSize), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.LocalRoot = root
	f, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Close)
	return f, root
}

func BenchmarkFetchLocal(b *testing.B) {
	f, _ := benchLocal(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		src, err := f.Fetch(ctx, "local:///img.jpg", nil, 0)
		if err != nil || len(src.Data) != benchSize {
			b.Fatalf("got %d bytes, %v", len(src.Data), err)
		}
		src.Release()
	}
}

func BenchmarkBaselineReadFile(b *testing.B) {
	_, root := benchLocal(b)
	p := filepath.Join(root, "img.jpg")
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		data, err := os.ReadFile(p)
		if err != nil || len(data) != benchSize {
			b.Fatal(err)
		}
	}
}

func benchOrigin(b *testing.B, chunked bool) string {
	body := randomBytes(benchSize)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/img.jpg"
}

func BenchmarkFetchHTTP(b *testing.B) {
	for _, chunked := range []bool{false, true} {
		name := "content-length"
		if chunked {
			name = "chunked"
		}
		b.Run(name, func(b *testing.B) {
			url := benchOrigin(b, chunked)
			cfg := DefaultConfig()
			cfg.AllowLoopback = true
			f, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(benchSize)
			for b.Loop() {
				src, err := f.Fetch(ctx, url, nil, 0)
				if err != nil || len(src.Data) != benchSize {
					b.Fatalf("got %d bytes, %v", len(src.Data), err)
				}
				src.Release()
			}
		})
	}
}

func BenchmarkBaselineHTTPReadAll(b *testing.B) {
	url := benchOrigin(b, false)
	client := &http.Client{}
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(data) != benchSize {
			b.Fatal(err)
		}
	}
}
