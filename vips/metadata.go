package vips

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/imgedge/imgedge/options"
)

// keepAlways are libvips fields that describe the image rather than carry
// metadata (animation); they survive strip_metadata.
var keepAlways = map[string]bool{"page-height": true, "delay": true, "loop": true, "gif-loop": true, "n-pages": true}

// copyrightEXIF are the EXIF fields kept by keep_copyright.
var copyrightEXIF = map[string]bool{"exif-ifd0-Copyright": true, "exif-ifd0-Artist": true}

// stripMetadata applies strip_metadata, keep_copyright and
// strip_color_profile to the final image. The EXIF orientation is always
// removed (the pixels are already upright). im must be private (copied).
func stripMetadata(im *image, o *options.Options) {
	im.remove("orientation")
	im.remove("exif-ifd0-Orientation")
	if o.StripColorProfile {
		im.remove("icc-profile-data")
	}
	if !o.StripMetadata {
		return
	}
	keepEXIF := false
	for _, name := range im.fields() {
		switch {
		case keepAlways[name], name == "icc-profile-data":
		case o.KeepCopyright && copyrightEXIF[name]:
			keepEXIF = true
		case o.KeepCopyright && name == "iptc-data":
			if b := filterIPTC(im.getBlob(name)); len(b) > 0 {
				im.setBlob(name, b)
			} else {
				im.remove(name)
			}
		case o.KeepCopyright && name == "xmp-data":
			if b, ok := filterXMP(im.getBlob(name)); ok {
				im.setBlob(name, b)
			} else {
				im.remove(name)
			}
		case name == "exif-data" && o.KeepCopyright:
			// Decided below, once we know whether a copyright tag exists.
		case strings.HasPrefix(name, "exif-"), strings.HasPrefix(name, "xmp"), strings.HasPrefix(name, "iptc"),
			strings.HasPrefix(name, "png-comment"), strings.HasPrefix(name, "gif-comment"), name == "photoshop-data",
			strings.HasPrefix(name, "jpeg-"), strings.HasPrefix(name, "heif-"), strings.HasPrefix(name, "tiff-"):
			im.remove(name)
		}
	}
	// libvips rebuilds EXIF from the exif-* fields on save and drops tags
	// whose fields were removed, so keeping the blob keeps only copyright.
	if !keepEXIF {
		im.remove("exif-data")
	}
}

// filterIPTC keeps the IPTC-IIM datasets 2:80 (by-line), 2:110 (credit)
// and 2:116 (copyright notice) from an IPTC blob (possibly wrapped in a
// Photoshop 8BIM resource by libvips; then only the raw IIM part is read).
func filterIPTC(b []byte) []byte {
	if i := bytes.IndexByte(b, 0x1c); i > 0 {
		b = b[i:]
	}
	var out []byte
	for len(b) >= 5 && b[0] == 0x1c {
		rec, ds := b[1], b[2]
		n := int(binary.BigEndian.Uint16(b[3:5]))
		if n&0x8000 != 0 || 5+n > len(b) {
			break
		}
		if rec == 2 && (ds == 80 || ds == 110 || ds == 116) {
			out = append(out, b[:5+n]...)
		}
		b = b[5+n:]
	}
	return out
}

// isSRGBProfile reports whether an ICC profile is an sRGB profile, judged
// by its description tag, so the ICC transform can be skipped.
func isSRGBProfile(icc []byte) bool {
	if len(icc) < 132 {
		return false
	}
	n := int(binary.BigEndian.Uint32(icc[128:]))
	for i := 0; i < n && 132+12*i+12 <= len(icc); i++ {
		t := icc[132+12*i:]
		if string(t[:4]) != "desc" {
			continue
		}
		off, size := int(binary.BigEndian.Uint32(t[4:])), int(binary.BigEndian.Uint32(t[8:]))
		if off < 0 || size < 0 || off+size > len(icc) || off+size < off {
			return false
		}
		desc := icc[off : off+size]
		// "desc" holds ASCII; "mluc" holds UTF-16BE: strip the zero bytes.
		desc = bytes.ReplaceAll(desc, []byte{0}, nil)
		return bytes.Contains(desc, []byte("sRGB"))
	}
	return false
}
