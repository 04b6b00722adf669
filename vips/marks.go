package vips

import (
	"container/list"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
	"github.com/imgedge/imgedge/vips/svgsan"
)

// Watermark images other than the configured one (docs/processing.md,
// watermark): watermark_url images, whose bytes edge fetched and handed
// over in Source.Watermarks, and watermark_text, rendered by libvips from
// Pango markup. Both are decoded once and kept in a bounded cache.

const (
	// markCacheBytes bounds the decoded pixels the mark cache holds;
	// a mark over a quarter of it is decoded for each request instead.
	markCacheBytes = 128 << 20
	// textMeasureDPI is the resolution text is measured at before it is
	// drawn at 72 dpi (an eighth of the size, 1/64 of the memory).
	textMeasureDPI = 9
	// maxTextSide caps each side of a rendered text mark.
	maxTextSide = 16384
)

// markCache holds decoded marks (8-bit sRGB with alpha, in memory) by key,
// least recently used first out, bounded by entry count and by
// markCacheBytes. It is safe for concurrent use. A mark handed out is a
// clone: it stays valid after its entry is evicted.
type markCache struct {
	mu         sync.Mutex
	maxEntries int // 0 = no caching
	size       int64
	order      list.List // of *markEntry, most recent first
	byKey      map[string]*list.Element
}

type markEntry struct {
	key  string
	im   *image
	size int64
}

func newMarkCache(maxEntries int) *markCache {
	return &markCache{maxEntries: maxEntries, byKey: map[string]*list.Element{}}
}

// get returns a clone of the cached mark for key, or nil.
func (c *markCache) get(key string) (*image, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*markEntry).im.clone()
}

// put stores im (taking it over) unless caching is off or it is too big;
// it returns a clone for the caller, or im itself when it was not stored.
func (c *markCache) put(key string, im *image) (*image, error) {
	size := int64(im.width()) * int64(im.height()) * int64(im.bands())
	if c.maxEntries <= 0 || size > markCacheBytes/4 {
		return im, nil
	}
	out, err := im.clone()
	if err != nil {
		im.close()
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byKey[key]; ok { // another request decoded it meanwhile
		c.remove(old)
	}
	c.byKey[key] = c.order.PushFront(&markEntry{key: key, im: im, size: size})
	c.size += size
	for c.order.Len() > c.maxEntries || c.size > markCacheBytes {
		c.remove(c.order.Back())
	}
	return out, nil
}

func (c *markCache) remove(e *list.Element) {
	me := c.order.Remove(e).(*markEntry)
	delete(c.byKey, me.key)
	c.size -= me.size
	me.im.close()
}

// close drops every entry.
func (c *markCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.order.Len() > 0 {
		c.remove(c.order.Back())
	}
}

// baseMark returns the request's mark as decoded (a new reference the
// caller closes), or nil when there is none: the text of watermark_text,
// the image of watermark_url, else the configured mark.
func (st *state) baseMark() (*image, error) {
	p, w := st.p, &st.o.Watermark
	switch {
	case w.Text != "":
		key := "t\x00" + p.cfg.WatermarkFont + "\x00" + w.Text
		if im, err := p.marks.get(key); im != nil || err != nil {
			return im, err
		}
		im, err := p.renderText(w.Text, st.o.Limits)
		if err != nil {
			return nil, err
		}
		return p.marks.put(key, im)
	case w.URL != "":
		key := "u\x00" + w.URL
		if im, err := p.marks.get(key); im != nil || err != nil {
			return im, err
		}
		data := st.wmData[w.URL]
		if len(data) == 0 {
			return nil, options.Errorf(options.KindUnexpected, "BUG: the watermark_url image was not fetched")
		}
		im, err := p.decodeMark(data, &st.o.Limits)
		if err != nil {
			return nil, err
		}
		return p.marks.put(key, im)
	case p.wm != nil:
		return p.wm.clone()
	}
	return nil, nil
}

// decodeMark decodes a watermark image into an upright 8-bit sRGB image
// with alpha, in memory. With limits (watermark_url images) it is held to
// the source resolution limit first, like a source.
func (p *Processor) decodeMark(data []byte, limits *options.Limits) (*image, error) {
	meta, err := imagemeta.ProbeWith(data, p.cfg.MaxSVGCheckBytes)
	if err != nil {
		return nil, err
	}
	if meta.Format == options.FormatPDF && !p.cfg.EnablePDF {
		return nil, options.Errorf(options.KindInvalidImage, "pdf sources are not supported")
	}
	if limits != nil {
		meta.Frames = 1
		if err := imagemeta.CheckLimits(meta, *limits); err != nil {
			return nil, err
		}
		if meta.Format == options.FormatSVG {
			if err := svgsan.CheckRender(data, meta.Width, meta.Height); err != nil {
				return nil, err
			}
		}
	}
	im, err := p.load(data, meta.Format, loadParams{n: 1})
	if err != nil {
		return nil, err
	}
	if limits != nil {
		if t := exifOrient(im.getInt("orientation", 1)); t.Angle != 0 || t.Flip {
			err = im.rot(t.Angle)
			if err == nil && t.Flip {
				err = im.flip(false)
			}
		}
	}
	if err == nil {
		err = toSRGB8(im)
	}
	if err == nil && !im.hasAlpha() {
		err = im.addAlpha()
	}
	if err == nil {
		err = im.copyMemory()
	}
	if err != nil {
		im.close()
		return nil, options.Wrap(options.KindBrokenImage, "watermark", err)
	}
	return im, nil
}

// renderText draws Pango markup (checked by the parser: options/markup.go)
// with IMGEDGE_WATERMARK_FONT at 72 dpi. The text is measured at a low
// resolution first: a text that would be larger than maxTextSide on a side
// or than the source resolution limit in area is refused before the full
// picture is allocated.
func (p *Processor) renderText(text string, l options.Limits) (*image, error) {
	probe, err := newText(text, p.cfg.WatermarkFont, textMeasureDPI, "")
	if err != nil {
		return nil, options.Wrap(options.KindInvalidURL, "watermark_text", err)
	}
	scale := 72.0 / textMeasureDPI
	w, h := float64(probe.width()+2)*scale, float64(probe.height()+2)*scale
	probe.close()
	limit := float64(p.cfg.MaxResultPixels)
	if l.MaxSrcResolution > 0 {
		limit = math.Min(limit, float64(l.MaxSrcResolution))
	}
	if w > maxTextSide || h > maxTextSide || w*h > limit {
		return nil, options.Errorf(options.KindResultTooBig, "watermark text would be about %.0fx%.0f pixels", w, h)
	}
	im, err := newText(text, p.cfg.WatermarkFont, 72, "")
	if err != nil {
		return nil, options.Wrap(options.KindInvalidURL, "watermark_text", err)
	}
	if err := toSRGB8(im); err != nil {
		im.close()
		return nil, err
	}
	if err := im.copyMemory(); err != nil {
		im.close()
		return nil, err
	}
	return im, nil
}

// fontExts are the font files loadFonts registers.
var fontExts = map[string]bool{".ttf": true, ".otf": true, ".ttc": true, ".otc": true, ".pfb": true, ".woff": true, ".woff2": true}

// loadFonts makes the font files in dir (IMGEDGE_WATERMARK_FONTS_DIR, and
// its subdirectories) known to fontconfig for watermark_text: each is
// loaded once through libvips' text operation, which then finds it by its
// family name. fontconfig skips files it cannot read without an error; a
// directory that cannot be read is an error.
func loadFonts(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return options.ConfigErrorf("IMGEDGE_WATERMARK_FONTS_DIR", "%v", err)
		}
		if d.IsDir() || !fontExts[strings.ToLower(filepath.Ext(path))] {
			return nil
		}
		im, err := newText(".", "sans 8", 72, path)
		if err != nil {
			return options.ConfigErrorf("IMGEDGE_WATERMARK_FONTS_DIR", "font %q: %v", path, err)
		}
		im.close()
		return nil
	})
}
