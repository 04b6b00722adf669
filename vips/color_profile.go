package vips

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/imgedge/imgedge/options"
)

// colorProfile converts the result to the color_profile and embeds it:
// libvips' built-in sRGB or CMYK ("chemical proof") profile, or an ICC
// file from IMGPROXY_COLOR_PROFILES_DIR. It runs after strip metadata, so
// strip_color_profile does not remove it. Formats without ICC support
// (GIF, BMP, ICO) ignore the option, as do formats without CMYK (all but
// JPEG and TIFF) for a CMYK profile. An unknown name answers 404.
func colorProfile(st *state) error {
	name := st.o.ColorProfile
	if name == "" || !supportsICC(st.out) {
		return nil
	}
	cmykOK := st.out == options.FormatJPEG || st.out == options.FormatTIFF
	im := st.im
	switch name {
	case "srgb", "cmyk":
		if name == "cmyk" && !cmykOK {
			return nil
		}
		if err := toColour(im); err != nil {
			return err
		}
		return im.iccTransformTo(name)
	}
	data, err := st.p.profiles.load(st.p.cfg.ColorProfilesDir, name)
	if err != nil {
		return err
	}
	switch string(data[16:20]) { // the profile's colour space
	case "CMYK":
		if !cmykOK {
			return nil
		}
	case "RGB ":
		if err := toColour(im); err != nil {
			return err
		}
	}
	// iccExportTo reads the pixels as sRGB: apply a profile kept with
	// strip_color_profile=false first.
	if im.getBlob("icc-profile-data") != nil {
		if err := im.iccToSRGB(8, false); err != nil {
			return err
		}
	}
	return im.iccExportTo(data)
}

// supportsICC reports whether f stores an ICC profile.
func supportsICC(f options.Format) bool {
	switch f {
	case options.FormatGIF, options.FormatBMP, options.FormatICO, options.FormatSVG:
		return false
	}
	return true
}

// maxProfileSize bounds an ICC file read from the profiles directory, and
// maxCachedProfiles the number of profiles kept in memory.
const (
	maxProfileSize    = 4 << 20
	maxCachedProfiles = 64
)

// profileCache holds the ICC files read from IMGPROXY_COLOR_PROFILES_DIR,
// by the name used in URLs. Safe for concurrent use; the zero value is
// empty. The bytes handed out are shared and must not be changed.
type profileCache struct {
	mu    sync.Mutex
	files map[string][]byte
}

// load returns the profile called name in dir: the file name, or name
// with .icc or .icm, opened through os.Root so that no name leaves dir.
// A missing or invalid file is KindInvalidURL.
func (c *profileCache) load(dir, name string) ([]byte, error) {
	c.mu.Lock()
	data, ok := c.files[name]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := readProfile(dir, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string][]byte{}
	}
	if len(c.files) < maxCachedProfiles {
		c.files[name] = data
	}
	return data, nil
}

func readProfile(dir, name string) ([]byte, error) {
	unknown := options.Errorf(options.KindInvalidURL, "unknown color profile %q", name)
	if dir == "" || !options.ValidColorProfileName(name) {
		return nil, unknown
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, unknown
	}
	defer root.Close()
	for _, n := range []string{name, name + ".icc", name + ".icm"} {
		data, err := readSmall(root, n)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || !isICC(data) {
			return nil, options.Errorf(options.KindInvalidURL, "color profile %q is not a readable ICC profile", name)
		}
		return data, nil
	}
	return nil, unknown
}

// readSmall reads a regular file of at most maxProfileSize bytes.
func readSmall(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxProfileSize {
		return nil, errors.New("not a regular file of a profile's size")
	}
	return io.ReadAll(io.LimitReader(f, maxProfileSize))
}

// isICC checks an ICC header: the "acsp" signature and a declared size
// that fits the data.
func isICC(b []byte) bool {
	if len(b) < 132 || string(b[36:40]) != "acsp" {
		return false
	}
	n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	return n >= 132 && n <= len(b)
}
