package vips

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"strings"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// The /info endpoint (docs/info.md). Each field is read from as little as
// it needs: the pure-Go probe for format and dimensions, libvips' header
// (no pixels) for metadata, colour space, bands and alpha, and one small
// shrink-on-load decode (at most infoThumbSide pixels a side) shared by
// the average and dominant colours, the palette and the placeholders.

// ErrNeedWholeSource is returned by Info when it was given the start of
// the source (whole false) and the fields asked for need more of it.
var ErrNeedWholeSource = options.ErrNeedWholeSource

// infoThumbSide bounds the decode the pixel fields share; ThumbHash takes
// at most 100 pixels a side.
const infoThumbSide = analyze.MaxThumbHashSide

// Info answers req for src, except Size (edge knows the size of the
// source). whole says whether src.Data is the whole source or its start
// (a header read): with a start, Info answers only what the header gives
// and returns ErrNeedWholeSource otherwise. Info does not take over src:
// the caller still owns and releases it. Errors are *options.Error
// (KindInvalidImage and KindSourceTooBig as for Process) or
// ErrNeedWholeSource. Safe for concurrent use; ctx stops the work between
// fields and during the decode.
func (p *Processor) Info(ctx context.Context, src *options.Source, whole bool, req *options.InfoOptions) (options.Info, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var info options.Info
	data := svgUTF8(src.Data)
	meta, err := imagemeta.ProbeWith(data, p.cfg.MaxSVGCheckBytes)
	if err != nil {
		if !whole {
			return info, ErrNeedWholeSource
		}
		return info, err
	}
	f := meta.Format
	if f == options.FormatPDF && !p.cfg.EnablePDF {
		return info, options.Errorf(options.KindInvalidImage, "pdf sources are not supported")
	}
	if err := imagemeta.CheckLimits(meta, req.Limits); err != nil {
		return info, err
	}
	headerOnly := req.HeaderOnly() && (meta.Width > 0 || f != options.FormatSVG && f != options.FormatPDF)
	// A JPEG's metadata segments all come before the scan the probe reached.
	jpegHeader := f == options.FormatJPEG && !req.CheckTransparency && !req.Average && !req.DominantColors &&
		req.Palette == 0 && req.BlurHashX == 0 && !req.ThumbHash && !req.ThumbHashBase64 && !req.PerceptualHash &&
		req.Hashsums == 0 && !(req.Crop.Width > 0 && req.Crop.Height > 0)
	if !whole && !headerOnly && !jpegHeader {
		return info, ErrNeedWholeSource
	}
	if req.Format {
		info.Format, info.MIMEType = f.String(), f.MIME()
	}
	if req.Dimensions {
		w, h, o := meta.Width, meta.Height, max(1, meta.Orientation)
		if o >= 5 {
			w, h = h, w
		}
		info.Width, info.Height, info.Orientation = &w, &h, &o
	}
	if req.Hashsums != 0 {
		info.Hashsums = hashsums(data, req.Hashsums)
	}
	if headerOnly || !canLoad[f] && req.HeaderOnly() {
		return info, nil
	}
	if !canLoad[f] {
		return info, options.Errorf(options.KindUnsupportedFormat, "cannot load %q sources", f)
	}
	err = p.infoFromImage(ctx, data, meta, req, &info)
	clearError()
	if ierr := interrupted(ctx); ierr != nil {
		return options.Info{}, ierr
	}
	if err != nil {
		var oe *options.Error
		if !errors.As(err, &oe) {
			err = options.Wrap(options.KindBrokenImage, "info", err)
		}
		return options.Info{}, err
	}
	return info, nil
}

// infoFromImage fills the fields that need libvips: the header first, the
// pixels of a small decode only when a pixel field is asked for.
func (p *Processor) infoFromImage(ctx context.Context, data []byte, meta imagemeta.Meta, req *options.InfoOptions, info *options.Info) error {
	f := meta.Format
	page := 0
	frames := 1
	if meta.Animated && meta.Frames > 1 && (f == options.FormatGIF || f == options.FormatWebP) {
		page = min(req.Page, meta.Frames-1)
		frames = page + 1
	}
	im, err := p.load(data, f, loadParams{n: frames})
	if err != nil {
		return err
	}
	defer im.close()
	if dims := (imagemeta.Meta{Format: f, Width: im.width(), Height: im.height()}); req.Dimensions && meta.Width == 0 {
		w, h := dims.Width, dims.Height
		info.Width, info.Height = &w, &h
	}
	if req.Exif {
		info.Exif = exifMap(im.getBlob("exif-data"), req.ExifCanonical)
	}
	if req.IPTC {
		info.IPTC, info.Photoshop = iptcMaps(im.getBlob("iptc-data"))
	}
	if req.XMP {
		info.XMP = xmpMap(im.getBlob("xmp-data"))
	}
	if req.Colorspace {
		info.Colorspace = im.interpretationName()
	}
	if req.Bands {
		b := im.bands()
		info.Bands = &b
	}
	if req.SampleFormat {
		info.SampleFormat = im.bandFormatName()
	}
	if req.PagesNumber {
		n := im.getInt("n-pages", 1)
		if meta.Frames > n {
			n = meta.Frames
		}
		info.PagesNumber = &n
	}
	if req.Alpha {
		info.Alpha = &options.InfoAlpha{Alpha: im.hasAlpha()}
	}
	pixelFields := req.CheckTransparency && req.Alpha || req.Average || req.DominantColors || req.Palette > 0 ||
		req.BlurHashX > 0 || req.ThumbHash || req.ThumbHashBase64 || req.PerceptualHash ||
		req.Crop.Width > 0 && req.Crop.Height > 0
	if !pixelFields {
		return nil
	}
	if err := interrupted(ctx); err != nil {
		return err
	}
	cancel := startCancel(ctx)
	defer cancel.close()
	thumb, err := p.infoThumbnail(data, meta, page, frames)
	if err != nil {
		return err
	}
	defer thumb.close()
	m, err := thumb.rgba()
	if err != nil {
		return err
	}
	return fillPixelFields(thumb, m, meta, req, info)
}

// infoThumbnail decodes one page with shrink-on-load and reduces it to at
// most infoThumbSide pixels a side, the EXIF orientation applied.
func (p *Processor) infoThumbnail(data []byte, meta imagemeta.Meta, page, frames int) (*image, error) {
	f := meta.Format
	w, h := max(1, meta.Width), max(1, meta.Height)
	shrink := float64(max(w, h)) / infoThumbSide
	lp := loadParams{n: frames, shrink: 1}
	switch {
	case f == options.FormatJPEG && shrink >= 2 && !p.cfg.DisableShrinkOnLoad:
		for _, s := range []int{8, 4, 2} {
			if shrink >= float64(s) {
				lp.shrink = s
				break
			}
		}
	case (f == options.FormatSVG || f == options.FormatPDF) && shrink > 1:
		lp.scale = 1 / shrink
	case f == options.FormatWebP && shrink >= 2 && frames == 1:
		lp.scale = 1 / float64(int(shrink))
	}
	im, err := p.load(data, f, lp)
	if err != nil {
		return nil, err
	}
	if frames > 1 {
		ph := im.getInt("page-height", im.height())
		if err := im.extractArea(0, page*ph, im.width(), ph); err != nil {
			im.close()
			return nil, err
		}
	}
	if err := toWorking(im, true, false, false); err != nil {
		im.close()
		return nil, err
	}
	t := transformFor(&options.Options{AutoRotate: true}, im.getInt("orientation", 1))
	if err := im.rot(t.Angle); err != nil {
		im.close()
		return nil, err
	}
	if t.Flip {
		if err := im.flip(false); err != nil {
			im.close()
			return nil, err
		}
	}
	if s := infoThumbSide / float64(max(im.width(), im.height())); s < 1 {
		if err := im.resize(s, s); err != nil {
			im.close()
			return nil, err
		}
	}
	if err := im.copyMemory(); err != nil {
		im.close()
		return nil, err
	}
	return im, nil
}

// fillPixelFields computes the pixel fields from the small decode m (and
// its image, for the smart crop).
func fillPixelFields(thumb *image, m *analyze.Image, meta imagemeta.Meta, req *options.InfoOptions, info *options.Info) error {
	if req.Alpha && req.CheckTransparency {
		t := false
		for i := 3; i < len(m.Pix); i += 4 {
			if m.Pix[i] != 255 {
				t = true
				break
			}
		}
		info.Alpha.Transparent = &t
	}
	if req.Average {
		c := analyze.Average(m, req.AverageOpaque)
		info.Average = &options.InfoRGBA{R: c.R, G: c.G, B: c.B, A: c.A}
	}
	if req.DominantColors {
		cols, ok := analyze.Dominant(m, req.BuildMissed)
		info.DominantColors = map[string]options.InfoRGB{}
		for i, n := range analyze.DominantNames {
			if ok[i] {
				info.DominantColors[n] = options.InfoRGB{R: cols[i].R, G: cols[i].G, B: cols[i].B}
			}
		}
	}
	if req.Palette > 0 {
		for _, s := range analyze.Palette(m, req.Palette) {
			info.Palette = append(info.Palette, options.InfoRGBA{R: s.Color.R, G: s.Color.G, B: s.Color.B, A: s.Color.A})
		}
	}
	if req.BlurHashX > 0 {
		bh, err := analyze.BlurHash(overWhite(m), req.BlurHashX, req.BlurHashY)
		if err != nil {
			return err
		}
		info.BlurHash = bh
	}
	if req.ThumbHash || req.ThumbHashBase64 {
		th, err := analyze.ThumbHash(m)
		if err != nil {
			return err
		}
		// Either name answers both spellings (docs/info.md): imgproxy's
		// clients read "thumb_hash", ThumbHash's own decoders take base64.
		info.ThumbHash = strings.ToUpper(hex.EncodeToString(th))
		info.ThumbHashB64 = base64.StdEncoding.EncodeToString(th)
	}
	if req.PerceptualHash {
		info.PerceptualHash = fmt.Sprintf("%016x", analyze.PerceptualHash(m))
	}
	if req.Crop.Width > 0 && req.Crop.Height > 0 {
		c, err := infoCrop(thumb, m, req.Crop)
		if err != nil {
			return err
		}
		info.Crop = c
	}
	return nil
}

// overWhite composites a copy of m over white (BlurHash has no alpha).
func overWhite(m *analyze.Image) *analyze.Image {
	out := &analyze.Image{W: m.W, H: m.H, Pix: make([]byte, len(m.Pix))}
	for i := 0; i < len(m.Pix); i += 4 {
		a := int(m.Pix[i+3])
		for c := range 3 {
			out.Pix[i+c] = byte((int(m.Pix[i+c])*a + 255*(255-a) + 127) / 255)
		}
		out.Pix[i+3] = 255
	}
	return out
}

// infoCrop returns the crop option's area as fractions of the (oriented)
// image, as the crop processing option would cut it; the smart gravity
// runs libvips' attention crop on the small decode.
func infoCrop(thumb *image, m *analyze.Image, c options.Crop) (*options.InfoCrop, error) {
	w, h := m.W, m.H
	o := options.DefaultOptions()
	o.Crop = c
	g := computeGeometry(&o, w, h, false)
	r := g.Crop
	if g.CropGravity.Type == options.GravitySmart {
		sc, err := thumb.clone()
		if err != nil {
			return nil, err
		}
		defer sc.close()
		if err := sc.smartcrop(r.W, r.H); err != nil {
			return nil, err
		}
		cm, err := sc.rgba()
		if err != nil {
			return nil, err
		}
		r.X, r.Y = locate(m, cm)
	}
	fw, fh := float64(w), float64(h)
	return &options.InfoCrop{Left: float64(r.X) / fw, Top: float64(r.Y) / fh, Width: float64(r.W) / fw, Height: float64(r.H) / fh}, nil
}

// locate finds where sub (cut from m) lies in m: the first offset where
// every pixel matches.
func locate(m, sub *analyze.Image) (x, y int) {
	row := sub.W * 4
	for oy := 0; oy+sub.H <= m.H; oy++ {
	next:
		for ox := 0; ox+sub.W <= m.W; ox++ {
			for sy := range sub.H {
				a := m.Pix[((oy+sy)*m.W+ox)*4:][:row]
				if string(a) != string(sub.Pix[sy*row:][:row]) {
					continue next
				}
			}
			return ox, oy
		}
	}
	return 0, 0
}

// hashsums computes the calc_hashsums digests of the whole source.
func hashsums(data []byte, set uint8) map[string]string {
	out := map[string]string{}
	for i, name := range options.HashNames {
		if set&(1<<i) == 0 {
			continue
		}
		var h hash.Hash
		switch i {
		case 0:
			h = md5.New()
		case 1:
			h = sha1.New()
		case 2:
			h = sha256.New()
		default:
			h = sha512.New()
		}
		h.Write(data)
		out[name] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}
