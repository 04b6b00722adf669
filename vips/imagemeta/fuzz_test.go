package imagemeta

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// FuzzProbe: Probe never panics, returns only classified errors, and
// what it accepts is self-consistent. Seeds: the generated fixtures and
// floods (added here) plus regression seeds kept in testdata/fuzz/FuzzProbe.
func FuzzProbe(f *testing.F) {
	for _, c := range validCases(f) {
		f.Add(c.data)
	}
	f.Add(pngHeaderOnly(100000, 100000, 6))
	f.Add(gifFlood(65535, 65535, 1, 1, 20))
	f.Add(webpAnim(10, 10, 3, true))
	f.Add(heifFile("avif", []string{"avif"}, 10, 10, true, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Probe(data)
		if err != nil {
			if k := options.KindOf(err); k != options.KindInvalidImage && k != options.KindBrokenImage {
				t.Fatalf("got kind %v (%v); want invalid or broken image", k, err)
			}
			return
		}
		if m.Format == options.FormatUnknown || m.Frames < 1 || m.Frames > MaxFrames && m.Format != options.FormatPNG ||
			m.Width < 0 || m.Height < 0 || m.Orientation < 0 || m.Orientation > 8 {
			t.Fatalf("inconsistent %+v", m)
		}
		if m.Format != options.FormatSVG && (m.Width == 0 || m.Height == 0) {
			t.Fatalf("accepted a zero dimension: %+v", m)
		}
		if m.Animated && m.Frames < 2 && m.Format != options.FormatJXL {
			t.Fatalf("animated with %d frames: %+v", m.Frames, m)
		}
		_ = CheckLimits(m, options.Limits{MaxSrcResolution: 50e6, MaxAnimationFrames: 10, MaxAnimationFrameResolution: 1})
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzProbe/seed-* from the
// fixtures when IMAGEMETA_WRITE_SEEDS=1 (crashers found by fuzzing are
// kept there by hand, under their own names).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("IMAGEMETA_WRITE_SEEDS") != "1" {
		t.Skip("set IMAGEMETA_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzProbe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, c := range validCases(t) {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(c.data)) + ")\n"
		name := filepath.Join(dir, "seed-"+strconv.Itoa(i)+"-"+c.want.Format.String())
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
