package vips

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	goimage "image"
	"image/color"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// exifBlob builds an EXIF block ("Exif\0\0" + little-endian TIFF) with
// IFD0 entries Make (ASCII) and Orientation (SHORT), as a camera writes it.
func exifBlob(make string, orientation uint16) []byte {
	var b bytes.Buffer
	b.WriteString("Exif\x00\x00II*\x00")
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	w(uint32(8)) // IFD0 offset
	w(uint16(2)) // entries
	val := make + "\x00"
	w(uint16(0x010f)) // Make
	w(uint16(2))
	w(uint32(len(val)))
	w(uint32(8 + 2 + 2*12 + 4)) // after the IFD
	w(uint16(0x0112))           // Orientation
	w(uint16(3))
	w(uint32(1))
	w(uint32(orientation))
	w(uint32(0)) // no next IFD
	b.WriteString(val)
	return b.Bytes()
}

// iptcBlob is a Photoshop resource block with IPTC Keywords (twice) and a
// Caption, and a ResolutionInfo of 240 ppi.
func iptcBlob() []byte {
	var iim bytes.Buffer
	ds := func(n byte, v string) {
		iim.Write([]byte{0x1c, 2, n})
		binary.Write(&iim, binary.BigEndian, uint16(len(v)))
		iim.WriteString(v)
	}
	ds(25, "red")
	ds(25, "blue")
	ds(120, "two colours")
	res := func(b *bytes.Buffer, id uint16, data []byte) {
		b.WriteString("8BIM")
		binary.Write(b, binary.BigEndian, id)
		b.Write([]byte{0, 0})
		binary.Write(b, binary.BigEndian, uint32(len(data)))
		b.Write(data)
		if len(data)%2 == 1 {
			b.WriteByte(0)
		}
	}
	var out bytes.Buffer
	out.WriteString("Photoshop 3.0\x00")
	res(&out, 0x0404, iim.Bytes())
	var ri bytes.Buffer
	binary.Write(&ri, binary.BigEndian, []uint32{240 << 16})
	binary.Write(&ri, binary.BigEndian, []uint16{1, 1})
	binary.Write(&ri, binary.BigEndian, []uint32{240 << 16})
	binary.Write(&ri, binary.BigEndian, []uint16{1, 2})
	res(&out, 0x03ed, ri.Bytes())
	return out.Bytes()
}

const testXMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
	`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Tartu">` +
	`<dc:creator><rdf:Seq><rdf:li>Ann</rdf:li><rdf:li>Bob</rdf:li></rdf:Seq></dc:creator>` +
	`<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Two</rdf:li></rdf:Alt></dc:title>` +
	`</rdf:Description></rdf:RDF></x:xmpmeta>`

// twoColours is a w×h image: the left half red, the right half slate.
func twoColours(w, h int) *goimage.NRGBA {
	m := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{230, 20, 30, 255}
			if x >= w/2 {
				c = color.NRGBA{40, 44, 52, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// jpegWithMetadata encodes m as a JPEG whose EXIF, IPTC and XMP libvips
// writes from the blobs.
func jpegWithMetadata(t *testing.T, p *Processor, m goimage.Image, orientation uint16) []byte {
	t.Helper()
	src := pngBytes(t, m)
	im, err := loadBuffer(src, options.FormatPNG, loadParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.close()
	if err := im.copy(); err != nil {
		t.Fatal(err)
	}
	im.setBlob("exif-data", exifBlob("imgedge camera", orientation))
	im.setBlob("iptc-data", iptcBlob())
	im.setBlob("xmp-data", []byte(testXMP))
	out, err := p.save(im, options.FormatJPEG, 95, &options.Encoding{})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	return append([]byte(nil), out.Data...)
}

func info(t *testing.T, p *Processor, data []byte, whole bool, req options.InfoOptions) (options.Info, error) {
	t.Helper()
	src := options.NewSource(data, nil)
	return p.Info(context.Background(), &src, whole, &req)
}

func TestInfoFields(t *testing.T) {
	p := newTestProcessor(t, nil)
	jpg := jpegWithMetadata(t, p, twoColours(64, 32), 6)
	req := options.DefaultInfoOptions()
	req.Colorspace, req.Bands, req.SampleFormat, req.PagesNumber, req.Alpha, req.CheckTransparency = true, true, true, true, true, true
	req.Average, req.DominantColors, req.Hashsums = true, true, options.HashMD5|options.HashSHA256
	got, err := info(t, p, jpg, true, req)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %v; want %v", name, got, want)
		}
	}
	check("format", got.Format, "jpeg")
	check("mime_type", got.MIMEType, "image/jpeg")
	check("width (oriented)", *got.Width, 32)
	check("height (oriented)", *got.Height, 64)
	check("orientation", *got.Orientation, 6)
	check("exif Manufacturer", got.Exif["Manufacturer"], "imgedge camera")
	check("exif Orientation", got.Exif["Orientation"], "Right-top")
	check("iptc Caption", got.IPTC["Caption"], "two colours")
	check("iptc Keywords", strings.Join(got.IPTC["Keywords"].([]string), ","), "red,blue")
	resInfo := got.Photoshop["resolution"].(map[string]any)
	check("photoshop XResolution", resInfo["XResolution"], 240.0)
	check("photoshop HeightUnit", resInfo["HeightUnit"], "cm")
	check("xmp photoshop City", got.XMP["photoshop"]["City"], "Tartu")
	check("xmp dc creator", strings.Join(got.XMP["dc"]["creator"].([]string), ","), "Ann,Bob")
	check("xmp dc title", got.XMP["dc"]["title"], "Two")
	check("colorspace", got.Colorspace, "srgb")
	check("bands", *got.Bands, 3)
	check("sample_format", got.SampleFormat, "uchar")
	check("pages_number", *got.PagesNumber, 1)
	check("alpha", got.Alpha.Alpha, false)
	check("transparent", *got.Alpha.Transparent, false)
	m5, s256 := md5.Sum(jpg), sha256.Sum256(jpg)
	check("md5", got.Hashsums["md5"], hex.EncodeToString(m5[:]))
	check("sha256", got.Hashsums["sha256"], hex.EncodeToString(s256[:]))
	check("sha1 absent", got.Hashsums["sha1"], "")
	// JPEG at q95: the halves' colours come back within a few levels.
	near := func(a options.InfoRGB, r, g, b int) bool {
		d := func(x uint8, y int) bool { return int(x)-y < 6 && y-int(x) < 6 }
		return d(a.R, r) && d(a.G, g) && d(a.B, b)
	}
	if v, ok := got.DominantColors["vibrant"]; !ok || !near(v, 230, 20, 30) {
		t.Errorf("vibrant: got %v; want about 230,20,30 (all: %v)", v, got.DominantColors)
	}
	if v, ok := got.DominantColors["dark_muted"]; !ok || !near(v, 40, 44, 52) {
		t.Errorf("dark_muted: got %v; want about 40,44,52", v)
	}
	if a := got.Average; a == nil || a.A != 255 || int(a.R) < 125 || int(a.R) > 145 {
		t.Errorf("average: got %+v; want red about (230+40)/2", a)
	}

	canonical := options.InfoOptions{Exif: true, ExifCanonical: true}
	got, _ = info(t, p, jpg, true, canonical)
	check("canonical Make", got.Exif["Make"], "imgedge camera")

	// Transparency, placeholders and pages.
	pat := testPattern(40, 30, true)
	got, err = info(t, p, pngBytes(t, pat), true, options.InfoOptions{Alpha: true, CheckTransparency: true,
		BlurHashX: 4, BlurHashY: 3, ThumbHash: true, ThumbHashBase64: true, PerceptualHash: true, Palette: 4})
	if err != nil {
		t.Fatal(err)
	}
	check("alpha png", got.Alpha.Alpha, true)
	check("transparent png", *got.Alpha.Transparent, true)
	check("blurhash length", len(got.BlurHash), 4+2*12)
	raw, _ := base64.StdEncoding.DecodeString(got.ThumbHashB64)
	check("thumb_hash = thumbhash", got.ThumbHash, strings.ToUpper(hex.EncodeToString(raw)))
	check("thumbhash has alpha bit", raw[2]>>7, byte(1))
	check("perceptual hash length", len(got.PerceptualHash), 16)
	check("palette size", len(got.Palette), 4)
	for _, one := range []options.InfoOptions{{ThumbHash: true}, {ThumbHashBase64: true}} {
		alone, err := info(t, p, pngBytes(t, pat), true, one)
		if err != nil {
			t.Fatal(err)
		}
		check("either name answers thumb_hash", alone.ThumbHash, got.ThumbHash)
		check("either name answers thumbhash", alone.ThumbHashB64, got.ThumbHashB64)
	}
	gif := animatedGIF(t, p, 3)
	got, err = info(t, p, gif, true, options.InfoOptions{PagesNumber: true, Dimensions: true, Format: true})
	if err != nil {
		t.Fatal(err)
	}
	check("gif pages", *got.PagesNumber, 3)
	check("gif height (one frame)", *got.Height, 16)
}

// animatedGIF makes an n-frame 24×16 GIF.
func animatedGIF(t *testing.T, p *Processor, n int) []byte {
	t.Helper()
	var frames []*image
	for i := range n {
		im, err := loadBuffer(pngBytes(t, testPattern(24+i, 16, false)), options.FormatPNG, loadParams{})
		if err != nil {
			t.Fatal(err)
		}
		if err := im.extractArea(i, 0, 24, 16); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, im)
	}
	joined, err := arrayJoin(frames)
	for _, f := range frames {
		f.close()
	}
	if err != nil {
		t.Fatal(err)
	}
	defer joined.close()
	setAnimation(joined, n, 16, nil, 0)
	out, err := p.save(joined, options.FormatGIF, 0, &options.Encoding{})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	return append([]byte(nil), out.Data...)
}

func TestInfoReadsOnlyWhatItNeeds(t *testing.T) {
	p := newTestProcessor(t, nil)
	jpg := jpegWithMetadata(t, p, twoColours(64, 32), 1)
	png := pngBytes(t, testPattern(64, 32, false))
	header := options.InfoOptions{Format: true, Dimensions: true}
	for _, tc := range []struct {
		name string
		data []byte
		n    int
		req  options.InfoOptions
		need bool
	}{
		{"png header", png, 64, header, false},
		{"png metadata", png, 64, options.DefaultInfoOptions(), true},
		{"jpeg metadata before the scan", jpg, bytes.Index(jpg, []byte{0xff, 0xda}) + 20, options.DefaultInfoOptions(), false},
		{"jpeg pixels", jpg, len(jpg) / 2, options.InfoOptions{Average: true}, true},
		{"truncated header", png, 20, header, true},
	} {
		got, err := info(t, p, tc.data[:tc.n], false, tc.req)
		if tc.need {
			if !errors.Is(err, ErrNeedWholeSource) {
				t.Errorf("%s: got %v; want ErrNeedWholeSource", tc.name, err)
			}
			continue
		}
		if err != nil || got.Width == nil || *got.Width != 64 {
			t.Errorf("%s: got %+v, %v", tc.name, got, err)
		}
		if tc.req.Exif && got.Exif["Manufacturer"] != "imgedge camera" {
			t.Errorf("%s: exif %v", tc.name, got.Exif)
		}
	}
	// Limits apply.
	req := header
	req.Limits.MaxSrcResolution = 100
	if _, err := info(t, p, png, true, req); kindOf(err) != options.KindSourceTooBig {
		t.Errorf("over the resolution limit: got %v", err)
	}
	if _, err := info(t, p, []byte("not an image at all"), true, header); kindOf(err) != options.KindInvalidImage {
		t.Errorf("not an image: got %v", err)
	}
}
