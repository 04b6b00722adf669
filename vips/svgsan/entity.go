package svgsan

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// declaredEntities returns the usable internal entities of src's DOCTYPE
// (nil when there are none): <!ENTITY name "literal"> whose literal holds
// no '&', '%' or '<', at most MaxEntityValue bytes, up to MaxEntities.
// Parameter and external (SYSTEM/PUBLIC) entities are never defined. It
// then checks that all references to them expand to at most
// MaxEntityExpansion bytes, so a linear blow-up is refused before parsing.
func declaredEntities(src []byte) (map[string]string, error) {
	start := bytes.Index(src, []byte("<!DOCTYPE"))
	if start < 0 {
		return nil, nil
	}
	// The internal subset ends at "]>" (quoted '>' inside it are fine
	// for this purpose: we only look for declarations).
	rest := src[start:]
	end := bytes.Index(rest, []byte("]>"))
	if end < 0 {
		return nil, nil
	}
	subset := rest[:end]
	var ents map[string]string
	for {
		i := bytes.Index(subset, []byte("<!ENTITY"))
		if i < 0 {
			break
		}
		subset = subset[i+len("<!ENTITY"):]
		p := bytes.TrimLeft(subset, " \t\r\n")
		if len(p) == 0 || p[0] == '%' {
			continue
		}
		n := 0
		for n < len(p) && !isXMLSpace(p[n]) && p[n] != '"' && p[n] != '\'' && p[n] != '>' {
			n++
		}
		name := string(p[:n])
		p = bytes.TrimLeft(p[n:], " \t\r\n")
		if name == "" || len(p) == 0 || p[0] != '"' && p[0] != '\'' {
			continue // external or malformed: left undefined
		}
		q := p[0]
		e := bytes.IndexByte(p[1:], q)
		if e < 0 {
			continue
		}
		val := p[1 : 1+e]
		if len(val) > MaxEntityValue || bytes.ContainsAny(val, "&%<") || !utf8.Valid(val) {
			continue
		}
		if ents == nil {
			ents = make(map[string]string)
		}
		if _, dup := ents[name]; !dup && len(ents) < MaxEntities { // XML: the first declaration wins
			ents[name] = string(val)
		}
	}
	if ents == nil {
		return nil, nil
	}
	total := 0
	for p := src; ; {
		i := bytes.IndexByte(p, '&')
		if i < 0 {
			break
		}
		p = p[i+1:]
		name := p[:min(len(p), 257)] // bounded look-ahead keeps the scan linear
		j := bytes.IndexByte(name, ';')
		if j < 0 {
			continue
		}
		if v, ok := ents[string(p[:j])]; ok {
			if total += len(v); total > MaxEntityExpansion {
				return nil, brokenf("entity references expand to more than %d bytes", MaxEntityExpansion)
			}
		}
	}
	return ents, nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// charsetReader lets documents declared as US-ASCII parse. Every other
// encoding was converted to UTF-8, with its declaration, by ToUTF8.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "us-ascii", "ascii":
		return r, nil
	}
	return nil, brokenf("unsupported encoding %q", charset)
}
