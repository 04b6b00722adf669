package bmp

// rle decodes RLE8, RLE4 and OS/2 RLE24 data. The stream is a list of
// two-byte commands: (n>0, v) repeats v n times (RLE4: alternating the two
// nibbles of v; RLE24: the three bytes after n form the colour); (0, 0)
// ends the row; (0, 1) ends the bitmap; (0, 2, dx, dy) moves right and
// down; (0, n>2) is followed by n literal pixels, padded to an even number
// of bytes. Rows are stored bottom-up. Pixels past the right edge are
// dropped; pixels never written stay transparent. The end of the data ends
// the bitmap.
func (d *decoder) rle() error {
	src := d.h.pixels
	comp := d.h.Compression
	x, y := 0, 0 // y counts stored rows, bottom first
	var row []byte
	setRow := func() {
		if y < d.ht {
			row = d.row(y)
		}
	}
	setRow()
	i := 0
	for y < d.ht && i+1 < len(src) {
		n, v := int(src[i]), src[i+1]
		i += 2
		if n > 0 { // encoded run
			if comp == RLE24 { // count, then blue (v), green, red
				if i+1 >= len(src) {
					return nil
				}
				r, g, b := src[i+1], src[i], v
				i += 2
				for k := 0; k < n && x < d.w; k++ {
					d.putRGB(row[x*4:], r, g, b)
					d.written++
					x++
				}
				continue
			}
			for k := 0; k < n && x < d.w; k++ {
				idx := int(v)
				if comp == RLE4 {
					if k&1 == 0 {
						idx = int(v >> 4)
					} else {
						idx = int(v & 15)
					}
				}
				if err := d.put(row[x*4:], idx); err != nil {
					return err
				}
				d.written++
				x++
			}
			continue
		}
		switch v {
		case 0: // end of row
			x = 0
			y++
			setRow()
		case 1: // end of bitmap
			return nil
		case 2: // delta
			if i+1 >= len(src) {
				return nil
			}
			x += int(src[i])
			y += int(src[i+1])
			i += 2
			setRow()
		default: // literal pixels
			n = int(v)
			var nb int
			switch comp {
			case RLE8:
				nb = n
			case RLE4:
				nb = (n + 1) / 2
			default:
				nb = 3 * n
			}
			lit := src[i:min(i+nb, len(src))]
			i += nb + nb&1
			for k := 0; k < n && x < d.w; k++ {
				switch comp {
				case RLE8:
					if k >= len(lit) {
						return nil
					}
					if err := d.put(row[x*4:], int(lit[k])); err != nil {
						return err
					}
				case RLE4:
					if k/2 >= len(lit) {
						return nil
					}
					idx := int(lit[k/2] >> 4)
					if k&1 == 1 {
						idx = int(lit[k/2] & 15)
					}
					if err := d.put(row[x*4:], idx); err != nil {
						return err
					}
				default:
					if 3*k+2 >= len(lit) {
						return nil
					}
					d.putRGB(row[x*4:], lit[3*k+2], lit[3*k+1], lit[3*k])
				}
				d.written++
				x++
			}
		}
	}
	return nil
}

// putRGB writes an opaque colour at o (RLE24).
func (d *decoder) putRGB(o []byte, r, g, b byte) {
	o[0], o[1], o[2], o[3] = r, g, b, 255
}
