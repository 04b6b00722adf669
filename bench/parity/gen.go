package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
)

// generate writes sample images that the real-photo sets usually lack:
// alpha, 16-bit and grey PNGs, JPEGs with every EXIF orientation, trim
// samples, a portrait JPEG, a CMYK JPEG (only when the vips CLI is on PATH)
// and wm.png, a small watermark for IMGPROXY_WATERMARK_PATH.
func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			panic("BUG: png encode: " + err.Error())
		}
		return b.Bytes()
	}
	encJ := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
			panic("BUG: jpeg encode: " + err.Error())
		}
		return b.Bytes()
	}

	// Watermark: semi-transparent red with an opaque blue frame.
	wm := image.NewNRGBA(image.Rect(0, 0, 60, 40))
	for y := range 40 {
		for x := range 60 {
			c := color.NRGBA{220, 30, 30, 180}
			if x < 4 || y < 4 || x >= 56 || y >= 36 {
				c = color.NRGBA{20, 40, 230, 255}
			}
			wm.SetNRGBA(x, y, c)
		}
	}
	files := map[string][]byte{"wm.png": enc(wm)}

	// Alpha PNG: colour gradient, alpha ramp left→right, an opaque disc.
	al := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			a := uint8(x * 255 / 299)
			if (x-200)*(x-200)+(y-80)*(y-80) < 40*40 {
				a = 255
			}
			al.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / 299), uint8(y * 255 / 199), 160, a})
		}
	}
	files["alpha.png"] = enc(al)

	// 16-bit RGB PNG.
	p16 := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			p16.SetNRGBA64(x, y, color.NRGBA64{uint16(x * 65535 / 299), uint16(y * 65535 / 199), 30000, 65535})
		}
	}
	files["png16.png"] = enc(p16)

	// Grey PNG.
	gr := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			gr.SetGray(x, y, color.Gray{uint8((x + y) * 255 / 498)})
		}
	}
	files["grey.png"] = enc(gr)

	// Portrait JPEG with an off-centre feature (for crops and gravity).
	files["portrait.jpg"] = encJ(pattern(400, 600))

	// EXIF orientations 1..8 on an asymmetric 300×200 pattern.
	base := encJ(pattern(300, 200))
	for o := 1; o <= 8; o++ {
		files[fmt.Sprintf("exif-%d.jpg", o)] = withOrientation(base, o)
	}

	// Trim samples: transparent border; white border with an off-centre block.
	ta := image.NewNRGBA(image.Rect(0, 0, 200, 150))
	for y := 30; y < 80; y++ {
		for x := 20; x < 120; x++ {
			ta.SetNRGBA(x, y, color.NRGBA{0, 128, 255, 255})
		}
	}
	files["trim-alpha.png"] = enc(ta)
	tc := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			c := color.RGBA{255, 255, 255, 255}
			if x >= 40 && x < 200 && y >= 20 && y < 150 {
				c = color.RGBA{uint8(x), 60, uint8(y), 255}
			}
			tc.SetRGBA(x, y, c)
		}
	}
	files["trim-color.png"] = enc(tc)

	for name, data := range files {
		if err := write(name, data); err != nil {
			return err
		}
	}
	// CMYK JPEG: Go cannot encode one; libvips' built-in CMYK profile can.
	if vipsCLI, err := exec.LookPath("vips"); err == nil {
		src := filepath.Join(dir, "portrait.jpg")
		dst := filepath.Join(dir, "cmyk.jpg")
		if out, err := exec.Command(vipsCLI, "icc_export", src, dst, "--output-profile", "cmyk").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "parity: cmyk.jpg not generated: %v %s\n", err, out)
		}
	}
	return nil
}

// pattern is an asymmetric test picture: four coloured quadrants plus a
// diagonal gradient and a dark marker near the top-left corner, so any
// rotation, flip or off-by-some crop changes the averaged thumbnail.
func pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2:
				c = color.RGBA{230, 40, 40, 255}
			case y < h/2:
				c = color.RGBA{40, 200, 40, 255}
			case x < w/2:
				c = color.RGBA{40, 40, 230, 255}
			default:
				c = color.RGBA{240, 240, 240, 255}
			}
			g := uint8((x + y) * 60 / (w + h))
			c.R, c.G, c.B = c.R-g/2, c.G-g/2, c.B-g/2
			if x > w/10 && x < w/4 && y > h/10 && y < h/5 {
				c = color.RGBA{10, 10, 10, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// withOrientation inserts an EXIF APP1 segment with the given orientation
// right after the JPEG SOI marker.
func withOrientation(jpg []byte, o int) []byte {
	var t bytes.Buffer
	t.WriteString("II*\x00")
	binary.Write(&t, binary.LittleEndian, uint32(8)) // IFD0 offset
	binary.Write(&t, binary.LittleEndian, uint16(1)) // one entry
	binary.Write(&t, binary.LittleEndian, uint16(0x0112))
	binary.Write(&t, binary.LittleEndian, uint16(3)) // SHORT
	binary.Write(&t, binary.LittleEndian, uint32(1))
	binary.Write(&t, binary.LittleEndian, uint16(o))
	binary.Write(&t, binary.LittleEndian, uint16(0))
	binary.Write(&t, binary.LittleEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(jpg[2:])
	return out.Bytes()
}
