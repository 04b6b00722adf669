package options

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// checkMarkup validates the Pango markup of watermark_text before libvips
// sees it (docs/security.md, "Text watermarks"). Pango lays text out at any
// size it is asked for and libvips allocates the whole picture at once, so
// `<span size="...">` or a font description with a huge size would take
// gigabytes. The markup must be well-formed XML using only Pango's
// elements and span attributes, and every size it sets (span sizes, font
// descriptions, big/small nesting, spacing, rise and line height) must stay
// within MaxWatermarkFontSize points. vips measures the text again before
// drawing it at full size.
func checkMarkup(text []byte) error {
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<markup>"), bytes.NewReader(text), strings.NewReader("</markup>")))
	d.Strict = true
	sizes := []float64{markupBaseSize} // effective size per open element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not valid pango markup: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(sizes) == 1 && t.Name.Local != "markup" || len(sizes) > maxMarkupDepth {
				return errors.New("not valid pango markup: bad nesting")
			}
			size := sizes[len(sizes)-1]
			if len(sizes) > 1 {
				if size, err = markupElement(t, size); err != nil {
					return err
				}
			}
			if size > MaxWatermarkFontSize {
				return fmt.Errorf("text size %.0fpt is over %dpt", size, MaxWatermarkFontSize)
			}
			sizes = append(sizes, size)
		case xml.EndElement:
			sizes = sizes[:len(sizes)-1]
			if len(sizes) == 1 && d.InputOffset() < int64(len("<markup>")+len(text)) {
				return errors.New("not valid pango markup: bad nesting")
			}
		case xml.ProcInst, xml.Directive:
			return errors.New("processing instructions and declarations are not allowed")
		}
	}
	return nil
}

const (
	// MaxWatermarkFontSize caps every text size watermark_text sets, in
	// points (pixels at libvips' 72 dpi).
	MaxWatermarkFontSize = 512
	// markupBaseSize is the size assumed for text without a size (the
	// default font is "sans 16"); relative sizes scale from it.
	markupBaseSize = 16
	// maxMarkupDepth caps element nesting.
	maxMarkupDepth = 64
	// pangoScale is Pango's unit: 1024 per point.
	pangoScale = 1024
)

// markupScale is the factor of <big>, <small> and the relative size
// keywords (CSS's 1.2).
const markupScale = 1.2

// markupElement checks one element (below the wrapper) and returns the
// effective text size inside it, given the parent's.
func markupElement(t xml.StartElement, size float64) (float64, error) {
	switch t.Name.Local {
	case "b", "i", "s", "tt", "u":
	case "big":
		size *= markupScale
	case "small", "sub", "sup":
		size /= markupScale
	case "span":
		return markupSpan(t.Attr, size)
	default:
		return 0, fmt.Errorf("pango markup element <%s> is not allowed", t.Name.Local)
	}
	if len(t.Attr) > 0 {
		return 0, fmt.Errorf("pango markup element <%s> takes no attributes", t.Name.Local)
	}
	return size, nil
}

// spanAttrs are the span attributes allowed without a check of their value
// (Pango reports a bad colour or name itself; none of them changes sizes).
var spanAttrs = map[string]bool{
	"font_family": true, "face": true, "style": true, "font_style": true, "weight": true, "font_weight": true,
	"variant": true, "font_variant": true, "stretch": true, "font_stretch": true, "foreground": true, "fgcolor": true,
	"color": true, "background": true, "bgcolor": true, "alpha": true, "fgalpha": true, "bgalpha": true,
	"underline": true, "underline_color": true, "overline": true, "overline_color": true, "strikethrough": true,
	"strikethrough_color": true, "fallback": true, "lang": true, "font_features": true, "allow_breaks": true,
	"insert_hyphens": true, "gravity": true, "gravity_hint": true, "text_transform": true, "segment": true,
	"show": true, "font_scale": true,
}

func markupSpan(attrs []xml.Attr, parent float64) (float64, error) {
	size := parent
	for _, a := range attrs {
		v := strings.TrimSpace(a.Value)
		var err error
		switch n := a.Name.Local; {
		case a.Name.Space != "":
			err = errors.New("namespaced attribute")
		case n == "size" || n == "font_size":
			size, err = spanSize(v, parent)
		case n == "font" || n == "font_desc":
			size, err = fontDescSize(v, size)
		case n == "letter_spacing" || n == "rise" || n == "baseline_shift":
			err = spanLength(v)
		case n == "line_height":
			err = lineHeight(v)
		case !spanAttrs[n]:
			err = errors.New("not allowed")
		}
		if err != nil {
			return 0, fmt.Errorf("pango span attribute %s=%q: %v", a.Name.Local, a.Value, err)
		}
	}
	return size, nil
}

var sizeKeywords = map[string]int{"xx-small": -3, "x-small": -2, "small": -1, "medium": 0, "large": 1, "x-large": 2, "xx-large": 3}

// spanSize is a span's size value in points: 1024ths of a point, "Npt",
// "Npx", "N%" of the parent, an absolute keyword or smaller/larger.
func spanSize(v string, parent float64) (float64, error) {
	if k, ok := sizeKeywords[v]; ok {
		return markupBaseSize * math.Pow(markupScale, float64(k)), nil
	}
	switch v {
	case "smaller":
		return parent / markupScale, nil
	case "larger":
		return parent * markupScale, nil
	}
	scale, unit := 1.0/pangoScale, v
	switch {
	case strings.HasSuffix(v, "pt"), strings.HasSuffix(v, "px"):
		scale, unit = 1, v[:len(v)-2]
	case strings.HasSuffix(v, "%"):
		scale, unit = parent/100, v[:len(v)-1]
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(unit), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("not a size")
	}
	return f * scale, nil
}

// fontDescSize finds the size in a Pango font description ("Sans Bold 12",
// "Serif 20px"): its last numeric word. Every numeric word is held to the
// cap. Without a size the current size stays.
func fontDescSize(v string, size float64) (float64, error) {
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }) {
		f, err := strconv.ParseFloat(strings.TrimSuffix(w, "px"), 64)
		if err != nil {
			continue
		}
		if f < 0 || f > MaxWatermarkFontSize || math.IsNaN(f) {
			return 0, errors.New("size out of range")
		}
		size = f
	}
	return size, nil
}

// spanLength checks letter_spacing, rise and baseline_shift: 1024ths of a
// point (or "Npt"), or a keyword, within the size cap.
func spanLength(v string) error {
	switch v {
	case "none", "superscript", "subscript":
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "pt"), 64)
	if err != nil || math.IsNaN(f) {
		return errors.New("not a length")
	}
	if !strings.HasSuffix(v, "pt") {
		f /= pangoScale
	}
	if math.Abs(f) > MaxWatermarkFontSize {
		return errors.New("length out of range")
	}
	return nil
}

// lineHeight checks line_height: a factor (below 1024, at most 10) or an
// absolute height in 1024ths of a point within the size cap.
func lineHeight(v string) error {
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil || f < 0 || math.IsNaN(f):
		return errors.New("not a line height")
	case f < pangoScale && f > 10, f >= pangoScale && f/pangoScale > MaxWatermarkFontSize:
		return errors.New("line height out of range")
	}
	return nil
}
