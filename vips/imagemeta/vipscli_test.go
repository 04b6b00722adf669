package imagemeta

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// These tests cross-check Probe against libvips on files written by the
// vips CLI (libvips' own encoders) and on our generated fixtures. They
// are skipped when the vips CLI is not installed, so the package still
// tests anywhere.

func needVips(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns vips: skipped with -short")
	}
	if _, err := exec.LookPath("vips"); err != nil {
		t.Skip("vips CLI not installed")
	}
	if _, err := exec.LookPath("vipsheader"); err != nil {
		t.Skip("vipsheader not installed")
	}
}

// vipsHdr is what vipsheader says about a file.
type vipsHdr struct{ w, h, bands int }

// vipsHeaders runs one vipsheader over all files and returns the headers
// of those libvips could read ("file: WxH format, N bands, ...").
func vipsHeaders(t *testing.T, files []string) map[string]vipsHdr {
	t.Helper()
	out, _ := exec.Command("vipsheader", files...).Output() // non-zero when some file is unreadable
	hdrs := make(map[string]vipsHdr)
	for _, line := range strings.Split(string(out), "\n") {
		file, rest, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		var h vipsHdr
		var format string
		if _, err := fmt.Sscanf(rest, "%dx%d %s %d bands", &h.w, &h.h, &format, &h.bands); err == nil {
			hdrs[file] = h
		}
	}
	return hdrs
}

func TestProbeVipsEncoded(t *testing.T) {
	needVips(t)
	dir := t.TempDir()
	run := func(args ...string) bool {
		out, err := exec.Command("vips", args...).CombinedOutput()
		if err != nil {
			t.Logf("vips %v: %v: %s", args, err, out)
			return false
		}
		return true
	}
	src3, src4 := filepath.Join(dir, "b3.v"), filepath.Join(dir, "b4.v")
	if !run("black", src3, "97", "61", "--bands", "3") || !run("black", src4, "61", "97", "--bands", "4") {
		t.Fatal("vips black failed")
	}
	anim := filepath.Join(dir, "anim.gif")
	if err := os.WriteFile(anim, genGIF(t, 21, 13, 7, true), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		src, ext string
		format   options.Format
		frames   int
	}{
		{src3, "jpg", options.FormatJPEG, 1},
		{src3, "png", options.FormatPNG, 1},
		{src4, "png", options.FormatPNG, 1},
		{src3, "webp", options.FormatWebP, 1},
		{src4, "webp", options.FormatWebP, 1},
		{src3, "webp[lossless]", options.FormatWebP, 1},
		{src3, "gif", options.FormatGIF, 1},
		{src3, "tif", options.FormatTIFF, 1},
		{src4, "tif", options.FormatTIFF, 1},
		{src3, "tif[compression=jpeg,tile]", options.FormatTIFF, 1},
		{src3, "avif", options.FormatAVIF, 1},
		{src4, "avif", options.FormatAVIF, 1},
		{src3, "heic", options.FormatHEIC, 1},
		{src3, "jxl", options.FormatJXL, 1},
		{src3, "jxl[lossless]", options.FormatJXL, 1},
		{anim + "[n=-1]", "webp", options.FormatWebP, 7},
		{anim + "[n=-1]", "gif", options.FormatGIF, 7},
	}
	files := make([]string, len(cases))
	for i, c := range cases {
		out := filepath.Join(dir, strconv.Itoa(i)+"."+c.ext)
		files[i], _, _ = strings.Cut(out, "[")
		if !run("copy", c.src, out) {
			t.Logf("%s -> %s: this libvips cannot write it; skipped", c.src, c.ext)
		}
	}
	hdrs := vipsHeaders(t, files)
	checked := 0
	for i, c := range cases {
		file := files[i]
		name := filepath.Base(c.src) + "->" + c.ext
		hdr, ok := hdrs[file]
		if !ok {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Probe(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w, h, bands := hdr.w, hdr.h, hdr.bands
		checked++
		if m.Format != c.format || m.Width != w || m.Height != h || m.Frames != c.frames {
			t.Fatalf("%s: got %v %dx%d×%d; want %v %dx%d×%d (libvips)", name, m.Format, m.Width, m.Height, m.Frames, c.format, w, h, c.frames)
		}
		if c.format != options.FormatGIF && m.HasAlpha != (bands == 2 || bands == 4) {
			t.Fatalf("%s: got HasAlpha %v; libvips has %d bands", name, m.HasAlpha, bands)
		}
	}
	if checked < 10 {
		t.Fatalf("libvips wrote and read only %d of %d files; want at least 10", checked, len(cases))
	}
}

// TestProbeAgreesWithVips runs vipsheader on our generated fixtures: where
// libvips can read the header, the dimensions must agree.
func TestProbeAgreesWithVips(t *testing.T) {
	needVips(t)
	dir := t.TempDir()
	checked := 0
	cases := validCases(t)
	files := make([]string, len(cases))
	for i, c := range cases {
		files[i] = filepath.Join(dir, strconv.Itoa(i)+"."+c.want.Format.Ext())
		if err := os.WriteFile(files[i], c.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hdrs := vipsHeaders(t, files)
	for i, c := range cases {
		hdr, ok := hdrs[files[i]]
		w, h := hdr.w, hdr.h
		switch {
		case !ok:
			continue // hand-built header without pixel data, or a loader this libvips lacks
		case c.want.Format == options.FormatSVG && c.want.Width == 0:
			continue // no intrinsic size: librsvg picks a default
		case c.want.Format == options.FormatICO:
			continue // this libvips reads ICO through ImageMagick, which returns the first entry, not the largest
		}
		checked++
		if c.want.Width != w || c.want.Height != h {
			t.Errorf("%s: Probe says %dx%d; libvips says %dx%d", c.name, c.want.Width, c.want.Height, w, h)
		}
	}
	if checked < 10 {
		t.Fatalf("libvips read only %d fixtures; want at least 10", checked)
	}
}
