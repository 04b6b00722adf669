package vips

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// iimDataset encodes one IPTC-IIM dataset (standard length).
func iimDataset(rec, ds byte, val string) []byte {
	b := []byte{0x1c, rec, ds, 0, 0}
	binary.BigEndian.PutUint16(b[3:], uint16(len(val)))
	return append(b, val...)
}

// psResourceBytes encodes one Photoshop image resource with an empty name.
func psResourceBytes(id uint16, data []byte) []byte {
	b := []byte("8BIM")
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// jpegWithIPTC returns a JPEG whose APP13 segment is a Photoshop resource
// block: resolution info, the IPTC datasets and an IPTC digest, as
// Photoshop and exiftool write it.
func jpegWithIPTC(t *testing.T) []byte {
	t.Helper()
	var iim []byte
	for _, d := range []struct {
		rec, ds byte
		val     string
	}{
		{1, 90, "\x1b%G"}, // coded character set: UTF-8
		{2, 0, "\x00\x04"},
		{2, 5, "Harbour at dusk"},
		{2, 25, "boats"}, {2, 25, "sea"},
		{2, 80, "Jane Doe"},
		{2, 110, "Example Photo Agency"},
		{2, 116, "© 2026 Jane Doe, all rights reserved"},
		{2, 120, "A caption that must not survive."},
	} {
		iim = append(iim, iimDataset(d.rec, d.ds, d.val)...)
	}
	if len(iim)%2 == 0 { // an odd length, so that the resource needs its pad byte
		iim = append(iim, iimDataset(2, 65, "imgedge test")...) // originating program
	}
	if len(iim)%2 != 1 {
		t.Fatalf("IIM length %d; want odd", len(iim))
	}
	digest := md5.Sum(iim)
	app13 := append([]byte("Photoshop 3.0\x00"), psResourceBytes(0x03ed, make([]byte, 16))...)
	app13 = append(app13, psResourceBytes(0x0404, iim)...)
	app13 = append(app13, psResourceBytes(0x0425, digest[:])...)
	seg := []byte{0xff, 0xed, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app13)+2))
	seg = append(seg, app13...)
	jpeg := sourceSized(t, options.FormatJPEG, 600, 400, false)
	return append(append(append([]byte(nil), jpeg[:2]...), seg...), jpeg[2:]...)
}

// exifIPTC runs exiftool on b and returns the IPTC tags it reads and its
// warnings.
func exifIPTC(t *testing.T, b []byte) (tags map[string]any, warnings []string) {
	t.Helper()
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Skip("exiftool not installed (Debian package libimage-exiftool-perl, installed by make deps)")
	}
	f := filepath.Join(t.TempDir(), "img.jpg")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exiftool, "-j", "-a", "-G0", "-IPTC:all", "-ExifTool:Warning", "-charset", "iptc=UTF8", f).Output()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	var res []map[string]any
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
		t.Fatalf("exiftool output %q: %v", out, err)
	}
	tags = map[string]any{}
	for k, v := range res[0] {
		switch {
		case strings.HasPrefix(k, "IPTC:"):
			tags[strings.TrimPrefix(k, "IPTC:")] = v
		case strings.HasPrefix(k, "ExifTool:Warning"):
			warnings = append(warnings, k+": "+strings.TrimSpace(string(mustJSON(v))))
		}
	}
	return tags, warnings
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestKeepCopyrightIPTC: keep_copyright keeps the IPTC By-line, Credit and
// Copyright Notice (and the character set that says how to read them) of a
// JPEG in an APP13 segment exiftool reads, and nothing else from IPTC.
func TestKeepCopyrightIPTC(t *testing.T) {
	src := jpegWithIPTC(t)
	in, warn := exifIPTC(t, src)
	if len(warn) > 0 || in["By-line"] != "Jane Doe" || in["Keywords"] == nil {
		t.Fatalf("the generated input does not read back: %v, warnings %v", in, warn)
	}
	p := newTestProcessor(t, nil)
	o := defaultOptions()
	o.Width, o.Height = 300, 300
	out, _ := process(t, p, src, o, nil)
	got, warn := exifIPTC(t, out)
	if len(warn) > 0 {
		t.Errorf("exiftool warnings on the output: %v", warn)
	}
	want := map[string]any{
		"CodedCharacterSet": "UTF8",
		"By-line":           "Jane Doe",
		"Credit":            "Example Photo Agency",
		"CopyrightNotice":   "© 2026 Jane Doe, all rights reserved",
	}
	if strings.Join(keys(got), ",") != strings.Join(keys(want), ",") {
		t.Errorf("IPTC tags of the output: got %v; want %v", keys(got), keys(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("IPTC %s: got %v; want %q", k, got[k], v)
		}
	}
	if bytes.Contains(out, []byte("caption that must not survive")) || bytes.Contains(out, []byte("Harbour")) {
		t.Errorf("dropped IPTC text is still in the output")
	}

	// Without keep_copyright no IPTC is left.
	o.KeepCopyright = false
	out, _ = process(t, p, src, o, nil)
	if got, _ := exifIPTC(t, out); len(got) != 0 || bytes.Contains(out, []byte("Photoshop 3.0")) {
		t.Errorf("strip_metadata without keep_copyright: IPTC %v left", got)
	}
}

func TestFilterIPTC(t *testing.T) {
	byline, credit := iimDataset(2, 80, "Ann"), iimDataset(2, 110, "Agency")
	kw := iimDataset(2, 25, "kw")
	charset := iimDataset(1, 90, "\x1b%G")
	// An extended dataset (length in the 2 bytes after 0x8002) is dropped,
	// and parsing goes on after it.
	ext := append([]byte{0x1c, 2, 120, 0x80, 0x02, 0x00, 0x03}, "abc"...)
	iim := bytes.Join([][]byte{charset, kw, ext, byline, credit}, nil)
	kept := bytes.Join([][]byte{charset, byline, credit}, nil)
	wrap := func(rs ...[]byte) []byte { return append([]byte("Photoshop 3.0\x00"), bytes.Join(rs, nil)...) }
	named := []byte("8BIM\x04\x04\x03abc") // odd Pascal name "abc": 1+3 bytes, no pad
	named = binary.BigEndian.AppendUint32(named, uint32(len(iim)))
	named = append(named, iim...)
	if len(iim)%2 == 1 {
		named = append(named, 0)
	}
	f := func(name string, in, want []byte) {
		t.Helper()
		if got := filterIPTC(in); !bytes.Equal(got, want) {
			t.Errorf("%s: got %q; want %q", name, got, want)
		}
	}
	f("raw IIM stays raw", iim, kept)
	f("wrapped", wrap(psResourceBytes(0x03ed, make([]byte, 3)), psResourceBytes(0x0404, iim)), wrap(psResourceBytes(0x0404, kept)))
	f("named resource", wrap(named), wrap(psResourceBytes(0x0404, kept)))
	f("nothing kept", wrap(psResourceBytes(0x0404, kw)), nil)
	f("no IPTC resource", wrap(psResourceBytes(0x03ed, make([]byte, 4))), nil)
	f("resource size past the end", wrap(psResourceBytes(0x0404, iim)[:20]), nil)
	f("dataset length past the end", append(byline, 0x1c, 2, 80, 0x7f, 0xff, 'x'), byline)
	f("empty", nil, nil)
	if got := filterIPTC(wrap(psResourceBytes(0x0404, kept))); len(got)%2 != 0 {
		t.Errorf("output resource block has odd length %d", len(got))
	}
}
