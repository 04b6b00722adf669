package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"net/http"
	"testing"

	"github.com/imgedge/imgedge/sign"
)

// TestE2EInfoBestChain drives /info, format best and chained pipelines
// through a real server with signing, presets, the allowed info options
// and a path prefix.
func TestE2EInfoBestChain(t *testing.T) {
	t.Parallel()
	dir := rcImageDir(t)
	key, salt := "736563726574", "68656c6c6f"
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": dir,
		"IMGPROXY_KEY":                   key,
		"IMGPROXY_SALT":                  salt,
		"IMGPROXY_PATH_PREFIX":           "/img",
		"IMGPROXY_INFO_PRESETS":          "ph=bh:4:3/th:1/thumbhash:1",
		"IMGPROXY_ALLOWED_INFO_OPTIONS":  "s,f,d,exif,iptc,xmp,chs,pr",
		"IMGPROXY_AUTO_WEBP":             "true",
		"IMGPROXY_PRESETS":               "half=rs:fit:320:200/-/bl:1",
	})
	k, _ := hex.DecodeString(key)
	sa, _ := hex.DecodeString(salt)
	signed := func(path string) string { return "/" + sign.Sign(k, sa, []byte(path), 32) + path }

	// /info: signed like processing, JSON field by field.
	resp, body := s.get(t, "/img/info"+signed("/chs:sha256/pr:ph/plain/local:///photo.jpg"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("/info: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), truncate(body))
	}
	var got struct {
		Size          int64
		Format        string
		MIMEType      string `json:"mime_type"`
		Width, Height int
		Hashsums      map[string]string
		BlurHash      string
		ThumbHash     string `json:"thumb_hash"`
		ThumbHashB64  string `json:"thumbhash"`
		Average       any
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	src := rcPhoto(t, 640, 400)
	sum := sha256.Sum256(src)
	if got.Size != int64(len(src)) || got.Format != "jpeg" || got.MIMEType != "image/jpeg" || got.Width != 640 || got.Height != 400 ||
		got.Hashsums["sha256"] != hex.EncodeToString(sum[:]) || len(got.BlurHash) != 28 || got.ThumbHash == "" || got.ThumbHashB64 == "" || got.Average != nil {
		t.Errorf("/info answer: %s", body)
	}
	for path, want := range map[string]int{
		"/img/info/insecure/plain/local:///photo.jpg":                         http.StatusForbidden, // unsigned
		"/img/info" + signed("/avg:1/plain/local:///photo.jpg"):               http.StatusNotFound,  // not allowed
		"/img/info" + signed("/do:1/plain/local:///photo.jpg"):                http.StatusNotFound,  // needs a model
		"/img/info" + signed("/s:1/plain/local:///missing.jpg"):               http.StatusNotFound,
		"/img" + signed("/aq:ml/plain/local:///photo.jpg"):                    http.StatusNotFound,
		"/img" + signed("/w:10/-/w:5/-/-/-/-/-/-/-/plain/local:///photo.jpg"): http.StatusNotFound, // over the cap
	} {
		if resp, body := s.get(t, path); resp.StatusCode != want {
			t.Errorf("GET %s: got %d (%q); want %d", path, resp.StatusCode, truncate(body), want)
		}
	}

	// Format best: the answer depends on Accept, and says so.
	resp, body = s.get(t, "/img"+signed("/rs:fit:200:200/f:best/plain/local:///photo.jpg"), "Accept", "image/webp")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Vary") != "Accept" {
		t.Fatalf("best: %d, Vary %q", resp.StatusCode, resp.Header.Get("Vary"))
	}
	webp := resp.Header.Get("Content-Type")
	resp, body2 := s.get(t, "/img"+signed("/rs:fit:200:200/plain/local:///photo.jpg@best"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("best without webp in Accept: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if webp == "image/webp" && len(body) > len(body2) {
		t.Errorf("best chose webp of %d bytes over jpeg of %d", len(body), len(body2))
	}

	// A chain from a preset: fit, then blur; the size is the first pipeline's.
	resp, body = s.get(t, "/img"+signed("/pr:half/plain/local:///photo.jpg@png"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chain: %d %q", resp.StatusCode, truncate(body))
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 320 || cfg.Height != 200 {
		t.Errorf("chain: %dx%d (%v); want 320x200", cfg.Width, cfg.Height, err)
	}
}
