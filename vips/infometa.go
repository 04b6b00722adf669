package vips

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"io"
	"strings"
)

// The metadata fields of /info (docs/info.md): EXIF as libexif formats
// it, IPTC-IIM datasets and the Photoshop resolution from the image
// resource block, and XMP properties grouped by namespace prefix.

// exifMap returns the EXIF entries keyed by their human-readable title
// (libexif's, e.g. "Date and Time (Original)") or, with canonical, by
// their tag name ("DateTimeOriginal"). nil when there is no EXIF.
func exifMap(blob []byte, canonical bool) map[string]string {
	entries := exifText(blob)
	if len(entries) == 0 {
		return nil
	}
	out := make(map[string]string, len(entries))
	for name, tv := range entries {
		key := tv[0]
		if canonical {
			key = name
		}
		if _, dup := out[key]; !dup {
			out[key] = tv[1]
		}
	}
	return out
}

// iptcDataset names the IIM record 2 datasets /info reports; repeatable
// ones become lists.
type iptcDataset struct {
	name   string
	repeat bool
}

var iptcDatasets = map[byte]iptcDataset{
	4: {"Object Attribute Reference", true}, 5: {"Name", false}, 7: {"Edit Status", false},
	10: {"Urgency", false}, 12: {"Subject Reference", true}, 15: {"Category", false},
	20: {"Supplemental Categories", true}, 22: {"Fixture Identifier", false}, 25: {"Keywords", true},
	26: {"Content Location Code", true}, 27: {"Content Location Name", true}, 30: {"Release Date", false},
	35: {"Release Time", false}, 37: {"Expiration Date", false}, 38: {"Expiration Time", false},
	40: {"Special Instructions", false}, 45: {"Reference Service", true}, 47: {"Reference Date", true},
	50: {"Reference Number", true}, 55: {"Date Created", false}, 60: {"Time Created", false},
	62: {"Digital Creation Date", false}, 63: {"Digital Creation Time", false},
	65: {"Originating Program", false}, 70: {"Program Version", false}, 75: {"Object Cycle", false},
	80: {"By-line", true}, 85: {"By-line Title", true}, 90: {"City", false}, 92: {"Sub-location", false},
	95: {"Province/State", false}, 100: {"Country/Primary Location Code", false},
	101: {"Country/Primary Location Name", false}, 103: {"Original Transmission Reference", false},
	105: {"Headline", false}, 110: {"Credit", false}, 115: {"Source", false},
	116: {"Copyright Notice", false}, 118: {"Contact", true}, 120: {"Caption", false},
	122: {"Writer/Editor", true}, 135: {"Language Identifier", false},
}

// iptcMaps reads an "iptc-data" blob (a Photoshop image resource block,
// or raw IIM for TIFF): the record 2 datasets by name, and the Photoshop
// resolution resource as {"resolution": {...}}. Either may be nil.
func iptcMaps(blob []byte) (iptc, photoshop map[string]any) {
	iim := blob
	if bytes.HasPrefix(blob, []byte(ps3Header)) {
		res := blob[len(ps3Header):]
		iim = psResource(res, iptcResource)
		photoshop = psResolution(psResource(res, 0x03ed))
	}
	for len(iim) >= 5 && iim[0] == 0x1c {
		rec, ds := iim[1], iim[2]
		n := int(binary.BigEndian.Uint16(iim[3:]))
		if n&0x8000 != 0 || 5+n > len(iim) {
			break // extended lengths are not used by text datasets
		}
		val := strings.ToValidUTF8(string(iim[5:5+n]), "\uFFFD")
		iim = iim[5+n:]
		d, ok := iptcDatasets[ds]
		if rec != 2 || !ok {
			continue
		}
		if iptc == nil {
			iptc = map[string]any{}
		}
		if !d.repeat {
			iptc[d.name] = val
			continue
		}
		list, _ := iptc[d.name].([]string)
		iptc[d.name] = append(list, val)
	}
	return iptc, photoshop
}

// psResolution decodes the ResolutionInfo resource (16 bytes: 16.16
// fixed resolutions with their units and the display units of width and
// height).
func psResolution(b []byte) map[string]any {
	if len(b) < 16 {
		return nil
	}
	resUnit := func(u uint16) string {
		if u == 2 {
			return "cm"
		}
		return "inches"
	}
	sizeUnit := func(u uint16) string {
		switch u {
		case 2:
			return "cm"
		case 3:
			return "points"
		case 4:
			return "picas"
		case 5:
			return "columns"
		}
		return "inches"
	}
	fixed := func(p []byte) float64 { return float64(binary.BigEndian.Uint32(p)) / 65536 }
	be := binary.BigEndian
	return map[string]any{"resolution": map[string]any{
		"XResolution": fixed(b[0:]), "XResolutionUnit": resUnit(be.Uint16(b[4:])), "WidthUnit": sizeUnit(be.Uint16(b[6:])),
		"YResolution": fixed(b[8:]), "YResolutionUnit": resUnit(be.Uint16(b[12:])), "HeightUnit": sizeUnit(be.Uint16(b[14:])),
	}}
}

// xmpMap lists the properties of an XMP packet as prefix → name → value:
// a simple property is a string, an rdf:Seq or rdf:Bag a list of strings,
// an rdf:Alt its default (first) item; structures are left out. Prefixes
// are those the packet declares. nil when there is nothing to report or
// the packet is over the size or depth bounds of the keep_copyright filter.
func xmpMap(blob []byte) map[string]map[string]any {
	if len(blob) == 0 || len(blob) > maxXMPSize {
		return nil
	}
	dec := xml.NewDecoder(bytes.NewReader(blob))
	dec.Strict = false
	prefixes := map[string]string{}
	out := map[string]map[string]any{}
	set := func(n xml.Name, v any) {
		p := prefixes[n.Space]
		if p == "" || n.Space == nsRDF || n.Space == nsXMPMeta || n.Space == nsXML {
			return
		}
		if out[p] == nil {
			out[p] = map[string]any{}
		}
		out[p][n.Local] = v
	}
	var stack []xml.Name // open elements
	var prop xml.Name    // property being read (a child of rdf:Description)
	var text strings.Builder
	var list []string
	inItem, isAlt, structure := false, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMPDepth {
				return nil
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					prefixes[a.Value] = a.Name.Local
				}
			}
			parent := xml.Name{}
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			stack = append(stack, t.Name)
			switch {
			case t.Name.Space == nsRDF && t.Name.Local == "Description" && prop.Local == "":
				for _, a := range t.Attr {
					if a.Name.Space != "xmlns" && a.Name.Space != "" {
						set(a.Name, a.Value)
					}
				}
			case prop.Local == "" && parent.Space == nsRDF && parent.Local == "Description":
				prop, list, isAlt, structure = t.Name, nil, false, false
				text.Reset()
			case prop.Local != "" && t.Name.Space == nsRDF && (t.Name.Local == "Seq" || t.Name.Local == "Bag" || t.Name.Local == "Alt"):
				isAlt = t.Name.Local == "Alt"
				list = []string{}
			case prop.Local != "" && t.Name.Space == nsRDF && t.Name.Local == "li":
				inItem = true
				text.Reset()
			case prop.Local != "":
				structure = true
			}
		case xml.CharData:
			if prop.Local != "" {
				text.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				break
			}
			stack = stack[:len(stack)-1]
			switch {
			case inItem && t.Name.Space == nsRDF && t.Name.Local == "li":
				list = append(list, strings.TrimSpace(text.String()))
				inItem = false
			case prop.Local != "" && t.Name == prop:
				switch {
				case structure:
				case list != nil && isAlt && len(list) > 0:
					set(prop, list[0])
				case list != nil:
					set(prop, list)
				default:
					set(prop, strings.TrimSpace(text.String()))
				}
				prop = xml.Name{}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
