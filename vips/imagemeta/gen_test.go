package imagemeta

// Generators for the test images: real encoders (image/jpeg, image/png,
// image/gif, x/image/tiff, x/image/bmp) where Go has them, hand-built
// headers for WebP, AVIF/HEIC, ICO and JPEG XL.

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func gradient(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	return img
}

// exifBlock returns a big-endian TIFF block whose IFD0 holds Orientation.
func exifBlock(orientation uint16) []byte {
	b := []byte("MM\x00\x2a\x00\x00\x00\x08")
	b = binary.BigEndian.AppendUint16(b, 1)           // one entry
	b = binary.BigEndian.AppendUint16(b, 0x0112)      // Orientation
	b = binary.BigEndian.AppendUint16(b, 3)           // SHORT
	b = binary.BigEndian.AppendUint32(b, 1)           // count
	b = binary.BigEndian.AppendUint16(b, orientation) // value
	b = append(b, 0, 0)
	return binary.BigEndian.AppendUint32(b, 0) // no next IFD
}

// genJPEG encodes a w×h JPEG; orientation > 0 inserts an EXIF APP1 after SOI.
func genJPEG(t testing.TB, w, h int, orientation uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, gradient(w, h), &jpeg.Options{Quality: 50}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if orientation == 0 {
		return b
	}
	app1 := append([]byte("Exif\x00\x00"), exifBlock(orientation)...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	out := append([]byte{0xff, 0xd8}, seg...)
	out = append(out, app1...)
	return append(out, b[2:]...)
}

func genPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngChunk(typ string, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	b = append(b, typ...)
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// insertPNGChunk puts a chunk right after IHDR.
func insertPNGChunk(p []byte, typ string, body []byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte(nil), p[:afterIHDR]...)
	out = append(out, pngChunk(typ, body)...)
	return append(out, p[afterIHDR:]...)
}

// pngHeaderOnly builds a PNG with just IHDR, a tiny IDAT and IEND: a
// pixel flood when the declared size is large.
func pngHeaderOnly(w, h uint32, ctype byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, ctype, 0, 0, 0)
	b := []byte(pngSig)
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(b, pngChunk("IEND", nil)...)
}

// genGIF encodes an animation of n frames with image/gif.
func genGIF(t testing.TB, w, h, n int, transparent bool) []byte {
	t.Helper()
	pal := color.Palette(palette.Plan9)
	if transparent {
		pal = append(color.Palette{color.NRGBA{}}, palette.Plan9[:255]...)
	}
	g := &gif.GIF{}
	for i := 0; i < n; i++ {
		img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for p := range img.Pix {
			img.Pix[p] = uint8(p + i)
		}
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 10)
		if transparent {
			g.Disposal = append(g.Disposal, gif.DisposalBackground)
		}
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if transparent && !bytes.Contains(b, []byte{0x21, 0xf9, 0x04}) {
		t.Fatal("BUG: image/gif wrote no graphic control extension")
	}
	return b
}

// gifFlood builds a GIF with a screenW×screenH logical screen and n 1×1
// frames (the first one fw×fh), a few dozen bytes per frame.
func gifFlood(screenW, screenH, fw, fh uint16, n int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, screenW)
	b = binary.LittleEndian.AppendUint16(b, screenH)
	b = append(b, 0x80, 0, 0, 0, 0, 0, 255, 255, 255) // 2-colour global table
	for i := 0; i < n; i++ {
		w, h := uint16(1), uint16(1)
		if i == 0 {
			w, h = fw, fh
		}
		b = append(b, 0x21, 0xf9, 4, 0, 1, 0, 0, 0) // GCE, 10 ms
		b = append(b, 0x2c, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint16(b, w)
		b = binary.LittleEndian.AppendUint16(b, h)
		b = append(b, 0, 2, 2, 0x4c, 0x01, 0)
	}
	return append(b, 0x3b)
}

func genTIFF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func genBMP(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func riff(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	b := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(b, body...)
}

func webpChunk(typ string, body []byte) []byte {
	b := append([]byte(typ), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// vp8lBody is a lossless header (no real pixel data follows).
func vp8lBody(w, h int, alpha bool) []byte {
	v := uint32(w-1) | uint32(h-1)<<14
	if alpha {
		v |= 1 << 28
	}
	return append([]byte{0x2f}, binary.LittleEndian.AppendUint32(nil, v)...)
}

// vp8Body is a lossy key frame header followed by a few zero bytes.
func vp8Body(w, h int) []byte {
	b := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	return append(b, make([]byte, 8)...)
}

func vp8xBody(flags byte, w, h int) []byte {
	b := []byte{flags, 0, 0, 0}
	b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	return append(b, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
}

// webpAnim builds a VP8X animation of n frames.
func webpAnim(w, h, n int, alpha bool) []byte {
	flags := byte(0x02)
	if alpha {
		flags |= 0x10
	}
	chunks := [][]byte{webpChunk("VP8X", vp8xBody(flags, w, h)), webpChunk("ANIM", make([]byte, 6))}
	for i := 0; i < n; i++ {
		frame := make([]byte, 16) // offsets, size-1, duration, flags
		frame = append(frame, webpChunk("VP8L", vp8lBody(w, h, alpha))...)
		chunks = append(chunks, webpChunk("ANMF", frame))
	}
	return riff(chunks...)
}

func bmffBox(typ string, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, typ...), body...)
}

func fullBox(typ string, version byte, flags uint32, parts ...[]byte) []byte {
	vf := binary.BigEndian.AppendUint32(nil, uint32(version)<<24|flags)
	return bmffBox(typ, append([][]byte{vf}, parts...)...)
}

func ispe(w, h uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, w)
	return fullBox("ispe", 0, 0, binary.BigEndian.AppendUint32(b, h))
}

// heifFile builds an ftyp + meta structure: item 1 (primary) w×h with
// properties ispe, optional irot 90° and an alpha auxiliary item 3; item 2
// is a 64×48 thumbnail.
func heifFile(major string, compat []string, w, h uint32, rotate, alpha bool) []byte {
	ftyp := append([]byte(major), 0, 0, 0, 0)
	for _, c := range compat {
		ftyp = append(ftyp, c...)
	}
	props := [][]byte{ispe(64, 48), ispe(w, h), bmffBox("irot", []byte{1}),
		fullBox("auxC", 0, 0, []byte("urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\x00"))}
	primary := []byte{0, 1, 1, 0x82} // item 1: essential ispe #2
	if rotate {
		primary = []byte{0, 1, 2, 0x82, 0x83}
	}
	ipma := binary.BigEndian.AppendUint32(nil, 2)
	ipma = append(ipma, primary...)
	ipma = append(ipma, 0, 2, 1, 0x81) // item 2: ispe #1
	if alpha {
		ipma[3] = 3
		ipma = append(ipma, 0, 3, 2, 0x82, 0x84) // item 3: ispe #2, auxC #4
	} else {
		props = props[:3]
	}
	meta := fullBox("meta", 0, 0,
		fullBox("hdlr", 0, 0, make([]byte, 4), []byte("pict"), make([]byte, 13)),
		fullBox("pitm", 0, 0, []byte{0, 1}),
		bmffBox("iprp", bmffBox("ipco", props...), fullBox("ipma", 0, 0, ipma)))
	return append(append(bmffBox("ftyp", ftyp), meta...), bmffBox("mdat", make([]byte, 16))...)
}

// icoFile wraps images (PNG or BMP files) in an ICO directory with the
// given declared directory sizes (0 = 256).
func icoFile(dirW, dirH []byte, imgs ...[]byte) []byte {
	b := []byte{0, 0, 1, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(imgs)))
	off := 6 + 16*len(imgs)
	var data []byte
	for i, img := range imgs {
		if hasPrefix(img, "BM") { // ICO holds the DIB without the file header, height doubled
			img = append([]byte(nil), img[14:]...)
			binary.LittleEndian.PutUint32(img[8:], 2*binary.LittleEndian.Uint32(img[8:]))
		}
		b = append(b, dirW[i], dirH[i], 0, 0, 1, 0, 32, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(img)))
		b = binary.LittleEndian.AppendUint32(b, uint32(off+len(data)))
		data = append(data, img...)
	}
	return append(b, data...)
}

// bitWriter writes JPEG XL LSB-first bit fields.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) put(v uint32, bits int) *bitWriter {
	for i := 0; i < bits; i++ {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (w.n % 8)
		w.n++
	}
	return w
}

// jxlCodestream writes a SizeHeader for w×h (w, h <= 2^18 via the 18-bit
// distribution) and ImageMetadata: all default, or with orientation,
// animation and one alpha channel.
func jxlCodestream(w, h uint32, orientation uint32, anim, alpha bool) []byte {
	bw := &bitWriter{b: []byte{0xff, 0x0a}, n: 16}
	bw.put(0, 1).put(2, 2).put(h-1, 18) // not div8; ysize selector 2 (18 bits)
	bw.put(0, 3).put(2, 2).put(w-1, 18) // ratio 0; xsize
	if orientation == 0 && !anim && !alpha {
		bw.put(1, 1) // all_default
		return append(bw.b, make([]byte, 8)...)
	}
	bw.put(0, 1).put(1, 1) // not all_default; extra_fields
	if orientation == 0 {
		orientation = 1
	}
	bw.put(orientation-1, 3).put(0, 1).put(0, 1) // orientation; no intrinsic size; no preview
	if anim {
		bw.put(1, 1).put(0, 2).put(0, 2).put(0, 2).put(0, 1)
	} else {
		bw.put(0, 1)
	}
	bw.put(0, 1).put(0, 2) // integer samples, 8 bits
	bw.put(1, 1)           // modular_16_bit_buffer_sufficient
	if alpha {
		bw.put(1, 2).put(1, 1) // one extra channel, all default (alpha)
	} else {
		bw.put(0, 2)
	}
	return append(bw.b, make([]byte, 8)...)
}

func jxlContainer(cs []byte) []byte {
	b := []byte(jxlContainerSig)
	b = append(b, bmffBox("ftyp", []byte("jxl \x00\x00\x00\x00jxl "))...)
	return append(b, bmffBox("jxlc", cs)...)
}
