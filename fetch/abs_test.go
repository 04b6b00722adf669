package fetch

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	"github.com/imgedge/imgedge/options"
)

// Azurite, the official Azure Storage emulator, comes from npm. It is
// installed once into a cache directory (IMGEDGE_AZURITE_DIR, default
// <user cache dir>/imgedge/azurite) and started per test on 127.0.0.1 with
// a random port and in-memory storage. The tests skip only when node or
// npm are missing.
const azuriteVersion = "3.37.0"

// Azurite's well-known development account.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

func azuriteBin(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: skipping the Azurite tests")
	}
	dir := os.Getenv("IMGEDGE_AZURITE_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "imgedge", "azurite")
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed: skipping the Azurite tests")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("installing azurite@%s into %s (first run only)", azuriteVersion, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--prefix", dir, "--no-audit", "--no-fund",
		"--loglevel=error", "azurite@"+azuriteVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install azurite: %v\n%s", err, out)
	}
	return bin
}

var azuriteListening = regexp.MustCompile(`successfully listens on (http://127\.0\.0\.1:\d+)`)

// startAzurite runs azurite-blob and returns its blob service URL for the
// development account.
func startAzurite(t *testing.T) string {
	t.Helper()
	bin := azuriteBin(t)
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
		"--extentMemoryLimit", "64", "--disableTelemetry", "--skipApiVersionCheck", "--loose")
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start azurite: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	lines := make(chan string, 64)
	exited := make(chan struct{})
	go func() {
		defer close(lines)
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := azuriteListening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
			select {
			case lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	// Node starts slowly on a loaded machine (>10 s seen with 2 busy cores).
	select {
	case u := <-found:
		return u + "/" + azuriteAccount
	case <-exited:
		var out []string
		for l := range lines {
			out = append(out, l)
		}
		t.Fatalf("azurite exited before listening; output: %q", out)
	case <-time.After(90 * time.Second):
		var out []string
		for len(lines) > 0 {
			out = append(out, <-lines)
		}
		t.Fatalf("azurite did not start within 90 s; output: %q", out)
	}
	return ""
}

func absEnv(t *testing.T, mutate func(*Config)) (*Fetcher, *azblob.Client) {
	t.Helper()
	endpoint := startAzurite(t)
	f := newLoopbackFetcher(t, func(c *Config) {
		c.UseABS = true
		c.ABSName = azuriteAccount
		c.ABSKey = azuriteKey
		c.ABSEndpoint = endpoint
		c.ABSDeniedContainers = []string{"denied"}
		if mutate != nil {
			mutate(c)
		}
	})
	// The test's own client uses the root azblob package (the fetcher uses
	// only azblob/blob, to keep Apache Arrow out of the binary).
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential(endpoint+"/", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"images", "denied"} {
		if _, err := client.CreateContainer(context.Background(), c, nil); err != nil {
			t.Fatalf("CreateContainer %s: %v", c, err)
		}
	}
	return f, client
}

func absPut(t *testing.T, client *azblob.Client, container, key string, data []byte, ct string) {
	t.Helper()
	_, err := client.UploadBuffer(context.Background(), container, key, data, &azblob.UploadBufferOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr(ct), BlobCacheControl: to.Ptr("max-age=77")},
	})
	if err != nil {
		t.Fatalf("upload %s/%s: %v", container, key, err)
	}
}

func TestABS(t *testing.T) {
	f, client := absEnv(t, nil)
	absPut(t, client, "denied", "dir/image.png", []byte("x"), "image/png")
	t.Run("conformance", func(t *testing.T) {
		runConformance(t, sourceEnv{
			f: f,
			put: func(t *testing.T, key string, data []byte, ct string) string {
				absPut(t, client, "images", key, data, ct)
				return "abs://images/" + key
			},
			missing:     "abs://images/dir/missing.png",
			denied:      "abs://denied/dir/image.png",
			contentType: true,
		})
	})
	t.Run("specifics", func(t *testing.T) {
		ctx := context.Background()
		absPut(t, client, "images", "a b.png", []byte("blob"), "image/png")
		var meta options.SourceMeta
		if got := mustFetch(t, f, ctx, "abs://images/a%20b.png", nil, &meta); string(got) != "blob" {
			t.Fatalf("got %q; want %q", got, "blob")
		}
		if meta.CacheControl != "max-age=77" {
			t.Fatalf("got Cache-Control %q; want %q", meta.CacheControl, "max-age=77")
		}
		_, err := f.Fetch(ctx, "abs://nocontainer/x.png", nil, 0)
		wantKind(t, err, options.KindUpstreamStatus)
		if s := err.(*options.Error).UpstreamStatus; s != 404 {
			t.Fatalf("missing container: got upstream %d; want 404", s)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		g := newLoopbackFetcher(t, func(c *Config) {
			*c = f.cfg
			c.ABSKey = "d3Jvbmcga2V5" // base64 of "wrong key"
		})
		_, err := g.Fetch(context.Background(), "abs://images/a%20b.png", nil, 0)
		wantKind(t, err, options.KindUpstreamStatus)
		if s := err.(*options.Error).UpstreamStatus; s != 403 {
			t.Fatalf("wrong key: got upstream %d; want 403", s)
		}
	})
}
