package fetch

import (
	"context"
	"strconv"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/imgedge/imgedge/options"
)

// gcsEnv starts fake-gcs-server in-process on 127.0.0.1 and a Fetcher whose
// real cloud.google.com/go/storage client points at it.
func gcsEnv(t *testing.T, mutate func(*Config)) (*Fetcher, *fakestorage.Server) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, NoListener: false,
	})
	if err != nil {
		t.Fatalf("fake-gcs-server: %v", err)
	}
	t.Cleanup(srv.Stop)
	for _, b := range []string{"images", "denied"} {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b, VersioningEnabled: true})
	}
	f := newLoopbackFetcher(t, func(c *Config) {
		c.UseGCS = true
		c.GCSEndpoint = srv.URL() + "/storage/v1/"
		c.GCSDeniedBuckets = []string{"denied"}
		if mutate != nil {
			mutate(c)
		}
	})
	return f, srv
}

func gcsPut(srv *fakestorage.Server, bucket, key string, data []byte, ct string) {
	srv.CreateObject(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: key, ContentType: ct},
		Content:     data,
	})
}

func TestConformanceGCS(t *testing.T) {
	f, srv := gcsEnv(t, nil)
	gcsPut(srv, "denied", "dir/image.png", []byte("x"), "image/png")
	runConformance(t, sourceEnv{
		f: f,
		put: func(t *testing.T, key string, data []byte, ct string) string {
			gcsPut(srv, "images", key, data, ct)
			return "gs://images/" + key
		},
		missing:     "gs://images/dir/missing.png",
		denied:      "gs://denied/dir/image.png",
		contentType: true,
	})
}

func TestGCSSpecifics(t *testing.T) {
	f, srv := gcsEnv(t, nil)
	ctx := context.Background()
	gcsPut(srv, "images", "a b.png", []byte("first"), "image/png")
	obj, err := srv.GetObject("images", "a b.png")
	if err != nil {
		t.Fatal(err)
	}
	gen1 := obj.Generation
	gcsPut(srv, "images", "a b.png", []byte("second"), "image/png")
	var meta options.SourceMeta
	if got := mustFetch(t, f, ctx, "gs://images/a%20b.png", nil, &meta); string(got) != "second" {
		t.Fatalf("latest: got %q; want %q", got, "second")
	}
	if meta.ETag == `"`+strconv.FormatInt(gen1, 10)+`"` {
		t.Fatalf("ETag %s did not change with a new generation", meta.ETag)
	}
	for _, q := range []string{"?" + strconv.FormatInt(gen1, 10), "?generation=" + strconv.FormatInt(gen1, 10)} {
		if got := mustFetch(t, f, ctx, "gs://images/a%20b.png"+q, nil, nil); string(got) != "first" {
			t.Fatalf("generation %s: got %q; want %q", q, got, "first")
		}
	}
	_, err = f.Fetch(ctx, "gs://images/a%20b.png?notanumber", nil, 0)
	wantKind(t, err, options.KindUnreachable)
	_, err = f.Fetch(ctx, "gs://nobucket/x.png", nil, 0)
	wantKind(t, err, options.KindUpstreamStatus)
	if s := err.(*options.Error).UpstreamStatus; s != 404 {
		t.Fatalf("missing bucket: got upstream %d; want 404", s)
	}
}
