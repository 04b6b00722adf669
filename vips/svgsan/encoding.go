package svgsan

import (
	"bytes"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/imgedge/imgedge/options"
)

// MaxConvert is the largest document ToUTF8 converts (the output of a
// single-byte encoding can be up to three times as large).
const MaxConvert = 64 << 20

// ToUTF8 returns the XML document src in UTF-8, with its XML declaration
// saying so. It converts documents that start with a UTF-16 or UTF-32
// byte-order mark, UTF-16 or UTF-32 documents without one (recognised by
// their first character, '<', as the XML specification describes), and
// documents whose XML declaration names another encoding (ISO-8859-x,
// windows-125x, Shift_JIS, GBK, ... by their WHATWG labels). Anything else,
// including every non-XML input, is returned as it is without copying, so
// the check costs a few byte comparisons. Errors (an unknown encoding, a
// document over MaxConvert bytes) are *options.Error with KindBrokenSVG;
// src is not modified.
func ToUTF8(src []byte) ([]byte, error) {
	var enc encoding.Encoding
	skip := 0 // byte-order mark length
	switch {
	case bytes.HasPrefix(src, []byte{0x00, 0x00, 0xfe, 0xff}):
		enc, skip = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(src, []byte{0xff, 0xfe, 0x00, 0x00}):
		enc, skip = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(src, []byte{0xfe, 0xff}):
		enc, skip = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 2
	case bytes.HasPrefix(src, []byte{0xff, 0xfe}):
		enc, skip = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 2
	case bytes.HasPrefix(src, []byte{0x00, 0x00, 0x00, '<'}):
		enc = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case bytes.HasPrefix(src, []byte{'<', 0x00, 0x00, 0x00}):
		enc = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case len(src) >= 4 && src[0] == 0x00 && src[1] == '<' && src[2] == 0x00 && src[3] != 0x00:
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case len(src) >= 4 && src[0] == '<' && src[1] == 0x00 && src[2] != 0x00 && src[3] == 0x00:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	default:
		label, ok := declaredEncoding(src)
		if !ok {
			return src, nil
		}
		switch l := strings.ToLower(label); {
		case l == "utf-8" || l == "utf8" || l == "us-ascii" || l == "ascii":
			return src, nil
		case strings.HasPrefix(l, "utf-16") || strings.HasPrefix(l, "utf-32") ||
			strings.HasPrefix(l, "ucs-2") || strings.HasPrefix(l, "ucs-4"):
			// The bytes are ASCII-compatible, so the label is wrong: read
			// them as UTF-8 (as imgproxy does) under a corrected declaration.
			return setUTF8Declaration(src), nil
		}
		e, err := htmlindex.Get(label)
		if err != nil {
			return src, options.Wrap(options.KindBrokenSVG, "svg: unsupported encoding "+quote(label), err)
		}
		enc = e
	}
	if len(src) > MaxConvert {
		return src, options.Errorf(options.KindBrokenSVG, "svg: %d bytes in a non-UTF-8 encoding, over the limit of %d", len(src), MaxConvert)
	}
	out, err := enc.NewDecoder().Bytes(src[skip:])
	if err != nil {
		return src, options.Wrap(options.KindBrokenSVG, "svg: cannot convert to UTF-8", err)
	}
	return setUTF8Declaration(out), nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return `"` + s + `"`
}

// xmlDecl returns the XML declaration at the start of d ("<?xml ...?>",
// after whitespace) or nil.
func xmlDecl(d []byte) []byte {
	d = bytes.TrimLeft(d, " \t\r\n")
	if !bytes.HasPrefix(d, []byte("<?xml")) || len(d) < 6 || !isXMLSpace(d[5]) {
		return nil
	}
	if len(d) > 1024 {
		d = d[:1024] // a declaration is short; do not scan a whole document
	}
	end := bytes.Index(d, []byte("?>"))
	if end < 0 {
		return nil
	}
	return d[:end]
}

// encodingValue finds the encoding pseudo-attribute in decl and returns
// the offsets of its value (without quotes).
func encodingValue(decl []byte) (start, end int, ok bool) {
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return 0, 0, false
	}
	j := i + len("encoding")
	for j < len(decl) && isXMLSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || decl[j] != '=' {
		return 0, 0, false
	}
	j++
	for j < len(decl) && isXMLSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || decl[j] != '"' && decl[j] != '\'' {
		return 0, 0, false
	}
	q := decl[j]
	k := bytes.IndexByte(decl[j+1:], q)
	if k < 0 {
		return 0, 0, false
	}
	return j + 1, j + 1 + k, true
}

// declaredEncoding returns the encoding the XML declaration of d names.
func declaredEncoding(d []byte) (string, bool) {
	decl := xmlDecl(d)
	if decl == nil {
		return "", false
	}
	s, e, ok := encodingValue(decl)
	if !ok {
		return "", false
	}
	return string(decl[s:e]), true
}

// setUTF8Declaration rewrites the encoding named by the XML declaration of
// d (if any) to UTF-8; d itself is not modified.
func setUTF8Declaration(d []byte) []byte {
	decl := xmlDecl(d)
	if decl == nil {
		return d
	}
	s, e, ok := encodingValue(decl)
	if !ok {
		return d
	}
	off := len(d) - len(bytes.TrimLeft(d, " \t\r\n")) // decl starts here in d
	out := make([]byte, 0, len(d)-(e-s)+5)
	out = append(out, d[:off+s]...)
	out = append(out, "UTF-8"...)
	return append(out, d[off+e:]...)
}
