package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// corpusPackages are the Debian packages whose wallpapers are the
// real-photo corpus (BENCHMARKS.md): JPEG photos up to 5640x3172, PNG and WebP.
var corpusPackages = []string{"mate-backgrounds", "gnome-backgrounds"}

// minPhotoBytes skips placeholder images (gnome's 256x256 vnc-*.webp).
const minPhotoBytes = 10 << 10

// photo is one corpus image, served by the server from
// <corpus>/photos/<Name> and read into Data for the raw ceiling.
type photo struct {
	Name          string
	Format        options.Format
	Width, Height int
	Orientation   int // EXIF orientation, 0 or 1 = upright
	HasAlpha      bool
	Data          []byte
}

// prepareCorpus returns the photos under dir/photos, fetching and
// unpacking the Debian packages first when the directory is empty and
// fetch is true.
func prepareCorpus(dir string, fetch bool) ([]photo, error) {
	photosDir := filepath.Join(dir, "photos")
	ps, err := loadPhotos(photosDir)
	if err == nil && len(ps) > 0 {
		return ps, nil
	}
	if !fetch {
		return nil, fmt.Errorf("no photos in %s and -fetch=false", photosDir)
	}
	if err := fetchCorpus(dir); err != nil {
		return nil, err
	}
	return loadPhotos(photosDir)
}

// fetchCorpus runs `apt-get download` and `dpkg -x` for corpusPackages and
// links every JPEG, PNG and WebP into dir/photos under a flat, URL-safe name.
func fetchCorpus(dir string) error {
	debs := filepath.Join(dir, "debs")
	extract := filepath.Join(dir, "extract")
	photosDir := filepath.Join(dir, "photos")
	for _, d := range []string{debs, extract, photosDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	logf("fetching corpus: apt-get download %s", strings.Join(corpusPackages, " "))
	cmd := exec.Command("apt-get", append([]string{"download"}, corpusPackages...)...)
	cmd.Dir = debs
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get download %v: %w (run `apt-get update` first, or put photos in %s)",
			corpusPackages, err, photosDir)
	}
	files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if out, err := exec.Command("dpkg", "-x", f, extract).CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg -x %s: %w: %s", f, err, out)
		}
	}
	n := 0
	err = filepath.WalkDir(extract, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jpg", ".jpeg", ".png", ".webp":
		default:
			return nil
		}
		rel, _ := filepath.Rel(filepath.Join(extract, "usr", "share", "backgrounds"), path)
		if strings.HasPrefix(rel, "..") {
			rel, _ = filepath.Rel(extract, path)
		}
		dst := filepath.Join(photosDir, flatName(rel))
		n++
		return linkOrCopy(path, dst)
	})
	if err != nil {
		return err
	}
	logf("corpus: %d images in %s", n, photosDir)
	return nil
}

// flatName turns "mate/nature/Dune.jpg" into "mate-nature-Dune.jpg",
// keeping only characters that need no escaping in a URL or a path.
func flatName(rel string) string {
	var b strings.Builder
	for _, r := range filepath.ToSlash(rel) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

func linkOrCopy(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// loadPhotos reads and probes every image in dir (sorted by name).
func loadPhotos(dir string) ([]photo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ps []photo
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if len(data) < minPhotoBytes {
			continue
		}
		m, err := imagemeta.Probe(data)
		if err != nil {
			logf("corpus: skipping %s: %v", e.Name(), err)
			continue
		}
		switch m.Format {
		case options.FormatJPEG, options.FormatPNG, options.FormatWebP:
		default:
			continue
		}
		ps = append(ps, photo{Name: e.Name(), Format: m.Format, Width: m.Width, Height: m.Height,
			Orientation: m.Orientation, HasAlpha: m.HasAlpha, Data: data})
	}
	if len(ps) == 0 {
		return nil, errors.New("no JPEG, PNG or WebP images in " + dir)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps, nil
}
