package fetch

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ncw/swift/v2"
	"github.com/ncw/swift/v2/swifttest"

	"github.com/imgedge/imgedge/options"
)

// swiftEnv starts swifttest (ncw/swift's in-process Swift server, v1 auth)
// on 127.0.0.1 and a Fetcher authenticated against it, plus a client
// connection to store objects with.
func swiftEnv(t *testing.T, mutate func(*Config)) (*Fetcher, *swift.Connection) {
	t.Helper()
	srv, err := swifttest.NewSwiftServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f := newLoopbackFetcher(t, func(c *Config) {
		c.UseSwift = true
		c.SwiftAuthURL = srv.AuthURL
		c.SwiftUsername = swifttest.TEST_ACCOUNT
		c.SwiftAPIKey = swifttest.TEST_ACCOUNT
		c.SwiftDeniedContainers = []string{"denied"}
		if mutate != nil {
			mutate(c)
		}
	})
	client := &swift.Connection{UserName: swifttest.TEST_ACCOUNT, ApiKey: swifttest.TEST_ACCOUNT, AuthUrl: srv.AuthURL}
	ctx := context.Background()
	if err := client.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"images", "denied"} {
		if err := client.ContainerCreate(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	return f, client
}

func swiftPut(t *testing.T, client *swift.Connection, container, key string, data []byte, ct string) {
	t.Helper()
	if _, err := client.ObjectPut(context.Background(), container, key, bytes.NewReader(data), false, "", ct, nil); err != nil {
		t.Fatalf("ObjectPut %s/%s: %v", container, key, err)
	}
}

func TestConformanceSwift(t *testing.T) {
	f, client := swiftEnv(t, nil)
	swiftPut(t, client, "denied", "dir/image.png", []byte("x"), "image/png")
	runConformance(t, sourceEnv{
		f: f,
		put: func(t *testing.T, key string, data []byte, ct string) string {
			swiftPut(t, client, "images", key, data, ct)
			return "swift://images/" + key
		},
		missing:     "swift://images/dir/missing.png",
		denied:      "swift://denied/dir/image.png",
		contentType: true,
	})
}

func TestSwiftSpecifics(t *testing.T) {
	f, client := swiftEnv(t, func(c *Config) { c.SwiftAllowedContainers = []string{"images"} })
	ctx := context.Background()
	swiftPut(t, client, "images", "a b.png", []byte("spaced"), "image/png")
	// Escaped keys, and a query after the separator is ignored.
	for _, u := range []string{"swift://images/a%20b.png", "swift://images/a%20b.png?123"} {
		if got := mustFetch(t, f, ctx, u, nil, nil); string(got) != "spaced" {
			t.Fatalf("%s: got %q; want %q", u, got, "spaced")
		}
	}
	var meta options.SourceMeta
	mustFetch(t, f, ctx, "swift://images/a%20b.png", nil, &meta)
	if !strings.HasPrefix(meta.ETag, `"`) || !strings.HasSuffix(meta.ETag, `"`) {
		t.Fatalf("got ETag %q; want a quoted entity-tag", meta.ETag)
	}
	// Not in the allow list → unreachable; missing container in an
	// unrestricted fetcher → 404.
	_, err := f.Fetch(ctx, "swift://nocontainer/x.png", nil, 0)
	wantKind(t, err, options.KindUnreachable)
	g, _ := swiftEnv(t, nil)
	_, err = g.Fetch(ctx, "swift://nocontainer/x.png", nil, 0)
	wantKind(t, err, options.KindUpstreamStatus)
	if s := err.(*options.Error).UpstreamStatus; s != 404 {
		t.Fatalf("missing container: got upstream %d; want 404", s)
	}
	// Disabled scheme.
	off := newLoopbackFetcher(t, nil)
	_, err = off.Fetch(ctx, "swift://images/a%20b.png", nil, 0)
	wantKind(t, err, options.KindUnreachable)
}

func TestSwiftBadCredentials(t *testing.T) {
	srv, err := swifttest.NewSwiftServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.UseSwift, cfg.SwiftAuthURL, cfg.SwiftUsername, cfg.SwiftAPIKey = true, srv.AuthURL, swifttest.TEST_ACCOUNT, "wrong"
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "IMGPROXY_SWIFT_AUTH_URL") {
		t.Fatalf("got %v; want an authentication error naming IMGPROXY_SWIFT_AUTH_URL", err)
	}
}
