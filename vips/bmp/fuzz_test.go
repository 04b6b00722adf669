package bmp

import (
	"testing"
)

// FuzzDecode: any input decodes or fails with an error, never panics, and
// a decoded image has exactly Width×Height×Channels samples. The same bytes
// are tried as an icon DIB (without the file header).
func FuzzDecode(f *testing.F) {
	pal := palette(16)
	seeds := []spec{
		{W: 5, H: 3, Hdr: 40, BPP: 1, Palette: palette(2), Data: make([]byte, 12)},
		{W: 5, H: 3, Hdr: 12, BPP: 4, Palette: pal, Data: make([]byte, 12)},
		{W: 5, H: 3, Hdr: 124, BPP: 8, Palette: palette(3), Data: make([]byte, 24)},
		{W: 5, H: 3, Hdr: 40, BPP: 16, Comp: 3, Masks: []uint32{0xf800, 0x7e0, 0x1f}, Data: make([]byte, 36)},
		{W: 5, H: 3, Hdr: 56, BPP: 16, Comp: 3, Masks: []uint32{0xf00, 0xf0, 0xf, 0xf000}, Data: make([]byte, 36)},
		{W: 5, H: 3, Hdr: 40, BPP: 24, TopDown: true, Data: make([]byte, 48)},
		{W: 5, H: 3, Hdr: 108, BPP: 32, Comp: 3, Masks: []uint32{0xff0000, 0xff00, 0xff, 0xff000000}, Data: make([]byte, 60)},
		{W: 8, H: 4, Hdr: 40, BPP: 8, Comp: 1, Palette: pal, Data: []byte{3, 2, 0, 3, 5, 6, 7, 0, 0, 2, 2, 1, 12, 4, 0, 0, 2, 9, 0, 1}},
		{W: 7, H: 2, Hdr: 40, BPP: 4, Comp: 2, Palette: pal, Data: []byte{5, 0x12, 0, 3, 0x34, 0x50, 0, 0, 0, 5, 0xab, 0xcd, 0xe0, 0, 0, 1}},
		{W: 5, H: 1, Hdr: 64, BPP: 24, Comp: 4, Data: []byte{2, 10, 20, 30, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 1}},
		{W: 4, H: 2, Hdr: 40, BPP: 8, Palette: palette(2), Data: []byte{0, 1, 200, 1, 0, 1, 1, 0}},
	}
	for _, s := range seeds {
		f.Add(s.File())
		f.Add(s.Icon(nil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 20
		checkImage := func(img *Image, err error) {
			if err != nil {
				return
			}
			if img.Channels != 3 && img.Channels != 4 || len(img.Pix) != img.Width*img.Height*img.Channels ||
				img.Width <= 0 || img.Height <= 0 || img.Width*img.Height > limit {
				t.Fatalf("bad image %dx%d×%d with %d bytes", img.Width, img.Height, img.Channels, len(img.Pix))
			}
		}
		checkImage(Decode(data, limit))
		checkImage(DecodeIcon(data, limit))
		if h, err := DecodeConfig(data); err == nil && (h.Width <= 0 || h.Height <= 0) {
			t.Fatalf("DecodeConfig: %dx%d without an error", h.Width, h.Height)
		}
	})
}
