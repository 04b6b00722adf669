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

// ps3Header starts a Photoshop image resource block, the form of the IPTC
// blob libvips reads from (and writes to) a JPEG's APP13 segment.
var ps3Header = []byte("Photoshop 3.0\x00")

// iptcResource is the Photoshop resource ID of the IPTC-IIM datasets.
const iptcResource = 0x0404

// filterIPTC keeps from an "iptc-data" blob what keep_copyright keeps, as
// imgproxy does: the IIM datasets of record 2 numbered 80 (By-line), 110
// (Credit) and 116 (Copyright Notice), and the envelope record 1 (its
// Coded Character Set says how to read them); see docs/options.md. A
// Photoshop resource block (JPEG) comes back as a block holding only the
// IPTC resource, with correct resource lengths and padding; raw IIM (TIFF)
// stays raw. nil means nothing is kept.
func filterIPTC(b []byte) []byte {
	if !bytes.HasPrefix(b, ps3Header) {
		return filterIIM(b)
	}
	kept := filterIIM(psResource(b[len(ps3Header):], iptcResource))
	if len(kept) == 0 {
		return nil
	}
	out := make([]byte, 0, len(ps3Header)+12+len(kept)+1)
	out = append(out, ps3Header...)
	out = append(out, "8BIM"...)
	out = binary.BigEndian.AppendUint16(out, iptcResource)
	out = append(out, 0, 0) // empty Pascal name, padded to an even length
	out = binary.BigEndian.AppendUint32(out, uint32(len(kept)))
	out = append(out, kept...)
	if len(kept)%2 == 1 {
		out = append(out, 0) // resource data is padded to an even length
	}
	return out
}

// psResource returns the data of the first image resource with the given
// ID in a sequence of resources (signature "8BIM" or another four bytes,
// 2-byte ID, Pascal name padded to even length, 4-byte size, data padded
// to even length), or nil.
func psResource(b []byte, id uint16) []byte {
	for len(b) >= 12 {
		rid := binary.BigEndian.Uint16(b[4:])
		name := 1 + int(b[6])
		name += name & 1
		if 6+name+4 > len(b) {
			return nil
		}
		size := binary.BigEndian.Uint32(b[6+name:])
		start := 6 + name + 4
		if uint64(size) > uint64(len(b)-start) {
			return nil
		}
		if rid == id {
			return b[start : start+int(size)]
		}
		next := start + int(size)
		next += next & 1
		if next > len(b) {
			return nil
		}
		b = b[next:]
	}
	return nil
}

// filterIIM keeps the datasets filterIPTC keeps from raw IPTC-IIM data,
// copied byte for byte, and stops at the first malformed dataset.
func filterIIM(b []byte) []byte {
	var out []byte
	for len(b) >= 5 && b[0] == 0x1c {
		rec, ds := b[1], b[2]
		hdr, n := 5, int(binary.BigEndian.Uint16(b[3:5]))
		if n&0x8000 != 0 { // extended dataset: the next n&0x7fff bytes hold the length
			k := n & 0x7fff
			if k == 0 || k > 4 || len(b) < 5+k {
				break
			}
			n = 0
			for _, c := range b[5 : 5+k] {
				n = n<<8 | int(c)
			}
			hdr += k
		}
		if n > len(b)-hdr {
			break
		}
		if rec == 1 || rec == 2 && (ds == 80 || ds == 110 || ds == 116) {
			out = append(out, b[:hdr+n]...)
		}
		b = b[hdr+n:]
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
