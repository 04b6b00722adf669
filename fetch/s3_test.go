package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/imgedge/imgedge/options"
)

// s3Env starts gofakes3 (an in-process S3 implementation) on 127.0.0.1 and
// a Fetcher whose real aws-sdk-go-v2 client points at it. Credentials come
// from the standard chain (environment here); IMDS and shared config files
// are switched off so nothing leaves loopback.
func s3Env(t *testing.T, mutate func(*Config)) (*Fetcher, *s3.Client) {
	return s3EnvWrapped(t, mutate, nil)
}

// s3EnvWrapped is s3Env with wrap (when set) in front of the S3 server.
func s3EnvWrapped(t *testing.T, mutate func(*Config), wrap func(http.Handler) http.Handler) (*Fetcher, *s3.Client) {
	t.Helper()
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	var h http.Handler = faker.Server()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))

	f := newLoopbackFetcher(t, func(c *Config) {
		c.UseS3 = true
		c.S3Endpoint = srv.URL
		c.S3Region = "eu-central-1"
		c.S3DeniedBuckets = []string{"denied"}
		if mutate != nil {
			mutate(c)
		}
	})
	client := f.s3.client
	for _, b := range []string{"images", "denied", "moved"} {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", b, err)
		}
	}
	return f, client
}

func s3Put(t *testing.T, client *s3.Client, bucket, key string, data []byte, ct string) *s3.PutObjectOutput {
	t.Helper()
	out, err := client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data), ContentType: aws.String(ct),
	})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func TestConformanceS3(t *testing.T) {
	f, client := s3Env(t, nil)
	s3Put(t, client, "denied", "dir/image.png", []byte("x"), "image/png")
	runConformance(t, sourceEnv{
		f: f,
		put: func(t *testing.T, key string, data []byte, ct string) string {
			s3Put(t, client, "images", key, data, ct)
			return "s3://images/" + key
		},
		missing:     "s3://images/dir/missing.png",
		denied:      "s3://denied/dir/image.png",
		contentType: true,
	})
}

func TestS3Specifics(t *testing.T) {
	f, client := s3Env(t, func(c *Config) { c.S3AllowedBuckets = []string{"images"} })
	ctx := context.Background()
	_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("images"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	// Versions: both the bare value and versionId= select an old version.
	v1 := s3Put(t, client, "images", "a b.png", []byte("first"), "image/png")
	s3Put(t, client, "images", "a b.png", []byte("second"), "image/png")
	if got := mustFetch(t, f, ctx, "s3://images/a%20b.png", nil, nil); string(got) != "second" {
		t.Fatalf("latest: got %q; want %q", got, "second")
	}
	if v1.VersionId == nil || *v1.VersionId == "" {
		t.Fatal("gofakes3 returned no version id")
	}
	for _, q := range []string{"?" + *v1.VersionId, "?versionId=" + url.QueryEscape(*v1.VersionId)} {
		if got := mustFetch(t, f, ctx, "s3://images/a%20b.png"+q, nil, nil); string(got) != "first" {
			t.Fatalf("version %s: got %q; want %q", q, got, "first")
		}
	}
	// Missing bucket → 404; bucket not in the allow list → unreachable.
	_, err = f.Fetch(ctx, "s3://nobucket/x.png", nil, 0)
	if err == nil {
		t.Fatal("missing bucket: got nil error")
	}
	wantKind(t, err, options.KindUnreachable) // not in S3AllowedBuckets
	_, err = f.Fetch(ctx, "s3://denied/x.png", nil, 0)
	wantKind(t, err, options.KindUnreachable)

	g, _ := s3Env(t, nil)
	_, err = g.Fetch(ctx, "s3://nobucket/x.png", nil, 0)
	wantKind(t, err, options.KindUpstreamStatus)
	if s := err.(*options.Error).UpstreamStatus; s != 404 {
		t.Fatalf("missing bucket: got upstream %d; want 404", s)
	}
	_, err = g.Fetch(ctx, "s3://images", nil, 0)
	wantKind(t, err, options.KindUpstreamStatus)
}

// TestS3RegionRedirect puts a front in front of gofakes3 that answers like
// S3 for a bucket living in another region (301 PermanentRedirect with
// x-amz-bucket-region) unless the request is signed for that region.
func TestS3RegionRedirect(t *testing.T) {
	var redirects atomic.Int32
	f, client := s3EnvWrapped(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/moved/") && r.Method == http.MethodGet &&
				!strings.Contains(r.Header.Get("Authorization"), "/ap-south-1/s3/aws4_request") {
				redirects.Add(1)
				w.Header().Set("X-Amz-Bucket-Region", "ap-south-1")
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMovedPermanently)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code>`+
					`<Message>The bucket is in another region.</Message></Error>`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	s3Put(t, client, "moved", "img.png", []byte("far away"), "image/png")
	for i := 0; i < 3; i++ {
		if got := mustFetch(t, f, context.Background(), "s3://moved/img.png", nil, nil); string(got) != "far away" {
			t.Fatalf("fetch %d: got %q; want %q", i, got, "far away")
		}
	}
	if n := redirects.Load(); n != 1 {
		t.Fatalf("got %d redirects for 3 fetches; want 1 (region remembered)", n)
	}
}
