package options

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// The /info endpoint (docs/info.md): its options, their parser and the
// answer vips fills in. The URL is
// "{prefix}/info/{signature}/{info options}/{source}", signed like a
// processing URL (the path after the signature).

// Hashsum types of calc_hashsums, as a bit set.
const (
	HashMD5 uint8 = 1 << iota
	HashSHA1
	HashSHA256
	HashSHA512
)

// HashNames are the calc_hashsums names in bit order of the Hash* constants.
var HashNames = [...]string{"md5", "sha1", "sha256", "sha512"}

// InfoOptions are the parsed info options (docs/info.md). It is a plain
// value that holds no references to request memory.
type InfoOptions struct {
	Size, Format, Dimensions bool
	Exif, ExifCanonical      bool
	IPTC, XMP                bool
	Colorspace, Bands        bool
	SampleFormat             bool
	PagesNumber              bool
	Alpha, CheckTransparency bool
	// Crop asks for the relative crop coordinates when Width and Height
	// are both > 0 (the crop processing option's arguments).
	Crop Crop
	// Palette is the number of palette colours (2..256); 0 = off.
	Palette                int
	Average, AverageOpaque bool // AverageOpaque: ignore fully transparent pixels
	DominantColors         bool
	BuildMissed            bool
	BlurHashX, BlurHashY   int  // 1..9 each; 0 = off
	ThumbHash              bool // thumb_hash: imgproxy's field, upper-case hex
	ThumbHashBase64        bool // thumbhash: imgedge's field, standard base64
	PerceptualHash         bool
	Hashsums               uint8 // Hash* bits
	Page                   int   // page or frame the pixel fields describe
	CacheBuster            string
	Expires                time.Time
	Limits                 Limits
}

// HeaderOnly reports whether every requested field can be answered from
// the image header (size, format, dimensions): the source then needs to
// be read only as far as its header.
func (o *InfoOptions) HeaderOnly() bool {
	return !(o.Exif || o.IPTC || o.XMP || o.Colorspace || o.Bands || o.SampleFormat || o.PagesNumber ||
		o.Alpha || o.Crop.Width > 0 && o.Crop.Height > 0 || o.Palette > 0 || o.Average || o.DominantColors ||
		o.BlurHashX > 0 || o.ThumbHash || o.ThumbHashBase64 || o.PerceptualHash || o.Hashsums != 0)
}

// ErrNeedWholeSource is what an info producer returns when it was given
// the start of a source and the fields asked for need all of it.
var ErrNeedWholeSource = errors.New("the info fields need the whole source")

// InfoRequest is a parsed /info URL.
type InfoRequest struct {
	SourceURL string
	Options   InfoOptions
}

// InfoRGBA is a colour of an /info answer.
type InfoRGBA struct {
	R uint8 `json:"R"`
	G uint8 `json:"G"`
	B uint8 `json:"B"`
	A uint8 `json:"A"`
}

// InfoRGB is a colour without alpha (dominant colours).
type InfoRGB struct {
	R uint8 `json:"R"`
	G uint8 `json:"G"`
	B uint8 `json:"B"`
}

// InfoCrop is a crop rectangle in fractions of the image.
type InfoCrop struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// InfoAlpha answers the alpha option.
type InfoAlpha struct {
	Alpha bool `json:"alpha"`
	// Transparent is set with check_transparency: some pixel is not fully
	// opaque.
	Transparent *bool `json:"transparent,omitempty"`
}

// Info is the /info answer; nil and empty fields are left out of the
// JSON. vips fills it (edge sets Size, which it knows from the fetch);
// edge encodes it with encoding/json.
type Info struct {
	Size           *int64                    `json:"size,omitempty"`
	Format         string                    `json:"format,omitempty"`
	MIMEType       string                    `json:"mime_type,omitempty"`
	Width          *int                      `json:"width,omitempty"`
	Height         *int                      `json:"height,omitempty"`
	Orientation    *int                      `json:"orientation,omitempty"`
	Exif           map[string]string         `json:"exif,omitempty"`
	IPTC           map[string]any            `json:"iptc,omitempty"`
	Photoshop      map[string]any            `json:"photoshop,omitempty"`
	XMP            map[string]map[string]any `json:"xmp,omitempty"`
	Colorspace     string                    `json:"colorspace,omitempty"`
	Bands          *int                      `json:"bands,omitempty"`
	SampleFormat   string                    `json:"sample_format,omitempty"`
	PagesNumber    *int                      `json:"pages_number,omitempty"`
	Alpha          *InfoAlpha                `json:"alpha,omitempty"`
	Crop           *InfoCrop                 `json:"crop,omitempty"`
	Palette        []InfoRGBA                `json:"palette,omitempty"`
	Average        *InfoRGBA                 `json:"average,omitempty"`
	DominantColors map[string]InfoRGB        `json:"dominant_colors,omitempty"`
	BlurHash       string                    `json:"blurhash,omitempty"`
	ThumbHash      string                    `json:"thumb_hash,omitempty"`
	ThumbHashB64   string                    `json:"thumbhash,omitempty"`
	PerceptualHash string                    `json:"perceptual_hash,omitempty"`
	Hashsums       map[string]string         `json:"hashsums,omitempty"`
}

// DefaultInfoOptions returns the documented defaults: size, format,
// dimensions, EXIF, IPTC and XMP on; average ignores transparent pixels.
func DefaultInfoOptions() InfoOptions {
	return InfoOptions{Size: true, Format: true, Dimensions: true, Exif: true, IPTC: true, XMP: true,
		AverageOpaque: true, Limits: DefaultOptions().Limits}
}

// infoSpec is one info option: like optionSpec, for the info table.
type infoSpec struct {
	name     string
	aliases  []string
	maxArgs  int
	security bool
	parse    func(st *infoState, name []byte, args [][]byte) error
}

// infoState is the scratch state of one ParseInfo (small: not pooled).
type infoState struct {
	p          *Parser
	o          *InfoOptions
	now        time.Time
	fromPreset bool
	chain      [maxPresetDepth]int
	depth      int
}

// infoBool sets one boolean field.
func infoBool(sel func(o *InfoOptions) *bool) func(*infoState, []byte, [][]byte) error {
	return func(st *infoState, _ []byte, args [][]byte) error {
		*sel(st.o) = parseBool(args[0])
		return nil
	}
}

// modelOption refuses an info option that needs a machine-learning model
// (or video support) when it is switched on; off is accepted.
func modelOption(what string) func(*infoState, []byte, [][]byte) error {
	return func(_ *infoState, name []byte, args [][]byte) error {
		if v := args[0]; parseBool(v) || (len(v) > 0 && v[0] >= '1' && v[0] <= '9') {
			return invalid("info option %q needs %s, which imgedge does not have", name, what)
		}
		return nil
	}
}

// infoTable lists the info options of docs/info.md. The name map is built
// at init like the processing table's.
var infoTable = []infoSpec{
	{name: "size", aliases: []string{"s"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.Size })},
	{name: "format", aliases: []string{"f"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.Format })},
	{name: "dimensions", aliases: []string{"d"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.Dimensions })},
	{name: "exif", maxArgs: 2, parse: func(st *infoState, _ []byte, args [][]byte) error {
		st.o.Exif = parseBool(args[0])
		if len(args) > 1 && len(args[1]) > 0 {
			st.o.ExifCanonical = parseBool(args[1])
		}
		return nil
	}},
	{name: "iptc", maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.IPTC })},
	{name: "xmp", maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.XMP })},
	{name: "video_meta", aliases: []string{"vm"}, maxArgs: 1, parse: modelOption("video support")},
	{name: "detect_objects", aliases: []string{"do"}, maxArgs: 1, parse: modelOption("an object detection model")},
	{name: "classify", aliases: []string{"cl"}, parse: modelOption("a classification model")},
	{name: "objects_position", aliases: []string{"obj_pos", "op"}, maxArgs: 3, parse: func(_ *infoState, name []byte, _ [][]byte) error {
		return invalid("info option %q needs an object detection model, which imgedge does not have", name)
	}},
	{name: "colorspace", aliases: []string{"cs"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.Colorspace })},
	{name: "bands", aliases: []string{"b"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.Bands })},
	{name: "sample_format", aliases: []string{"sf"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.SampleFormat })},
	{name: "pages_number", aliases: []string{"pn"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.PagesNumber })},
	{name: "alpha", aliases: []string{"a"}, maxArgs: 2, parse: func(st *infoState, _ []byte, args [][]byte) error {
		st.o.Alpha = parseBool(args[0])
		st.o.CheckTransparency = len(args) > 1 && parseBool(args[1])
		return nil
	}},
	{name: "crop", aliases: []string{"c"}, maxArgs: 5, parse: infoCrop},
	{name: "palette", aliases: []string{"p"}, maxArgs: 1, parse: func(st *infoState, name []byte, args [][]byte) error {
		v, err := parseInt(args[0])
		if err != nil || v < 0 || v > 256 || v == 1 {
			return invalid("invalid %s %q: want 0 or a number of colours in 2..256", name, args[0])
		}
		st.o.Palette = int(v)
		return nil
	}},
	{name: "average", aliases: []string{"avg"}, maxArgs: 2, parse: func(st *infoState, _ []byte, args [][]byte) error {
		st.o.Average = parseBool(args[0])
		if len(args) > 1 && len(args[1]) > 0 {
			st.o.AverageOpaque = parseBool(args[1])
		}
		return nil
	}},
	{name: "dominant_colors", aliases: []string{"dc"}, maxArgs: 2, parse: func(st *infoState, _ []byte, args [][]byte) error {
		st.o.DominantColors = parseBool(args[0])
		st.o.BuildMissed = len(args) > 1 && parseBool(args[1])
		return nil
	}},
	{name: "blurhash", aliases: []string{"bh"}, maxArgs: 2, parse: func(st *infoState, name []byte, args [][]byte) error {
		var xy [2]int
		for i, a := range args {
			v, err := parseInt(a)
			if err != nil || v < 0 || v > 9 {
				return invalid("invalid %s components %q: want 0..9", name, a)
			}
			xy[i] = int(v)
		}
		if len(args) == 1 {
			xy[1] = xy[0]
		}
		if xy[0] == 0 || xy[1] == 0 {
			xy = [2]int{}
		}
		st.o.BlurHashX, st.o.BlurHashY = xy[0], xy[1]
		return nil
	}},
	{name: "thumb_hash", aliases: []string{"th"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.ThumbHash })},
	{name: "thumbhash", maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.ThumbHashBase64 })},
	{name: "perceptual_hash", aliases: []string{"phash", "ph"}, maxArgs: 1, parse: infoBool(func(o *InfoOptions) *bool { return &o.PerceptualHash })},
	{name: "calc_hashsums", aliases: []string{"chs"}, parse: func(st *infoState, _ []byte, args [][]byte) error {
		var set uint8
		for _, a := range args {
			if len(a) == 0 {
				continue
			}
			i := indexOf(HashNames[:], string(a))
			if i < 0 {
				return invalid("unknown hashsum type %q: want md5, sha1, sha256 or sha512", a)
			}
			set |= 1 << i
		}
		st.o.Hashsums = set
		return nil
	}},
	{name: "page", aliases: []string{"pg"}, maxArgs: 1, parse: func(st *infoState, name []byte, args [][]byte) error {
		v, err := parseInt(args[0])
		if err != nil || v < 0 || v > math.MaxInt32 {
			return invalid("invalid %s %q: want an integer >= 0", name, args[0])
		}
		st.o.Page = int(v)
		return nil
	}},
	// Video sources are not supported: these only matter for them.
	{name: "video_thumbnail_second", aliases: []string{"vts"}, maxArgs: 1, parse: func(*infoState, []byte, [][]byte) error { return nil }},
	{name: "video_thumbnail_keyframes", aliases: []string{"vtk"}, maxArgs: 1, parse: func(*infoState, []byte, [][]byte) error { return nil }},
	{name: "cachebuster", aliases: []string{"cb"}, maxArgs: 1, parse: func(st *infoState, _ []byte, args [][]byte) error {
		st.o.CacheBuster = string(args[0])
		return nil
	}},
	{name: "expires", aliases: []string{"exp"}, maxArgs: 1, parse: func(st *infoState, _ []byte, args [][]byte) error {
		o := Options{}
		ps := parseState{now: st.now, o: &o}
		if err := parseExpires(&ps, nil, args); err != nil {
			return err
		}
		st.o.Expires = o.Expires
		return nil
	}},
	{name: "preset", aliases: []string{"pr"}, parse: func(st *infoState, _ []byte, args [][]byte) error {
		for _, a := range args {
			if err := st.presetByName(a); err != nil {
				return err
			}
		}
		return nil
	}},
	{name: "max_src_resolution", aliases: []string{"msr"}, maxArgs: 1, security: true, parse: infoLimit(megapixelsField(func(l *Limits) *int64 { return &l.MaxSrcResolution }))},
	{name: "max_src_file_size", aliases: []string{"msfs"}, maxArgs: 1, security: true,
		parse: infoLimit(limitField(0, math.MaxInt64, "bytes >= 0", func(l *Limits) *int64 { return &l.MaxSrcFileSize }))},
}

// infoUnsupported are imgproxy Pro info options imgedge does not offer in
// /info (refused with 404 naming them).
var infoUnsupported = []string{"bypass_cache", "bc", "cache_tags", "ct", "hashsum", "hs"}

// infoLimit runs a processing-table limit parser on the info options'
// Limits.
func infoLimit(fn func(*parseState, []byte, [][]byte) error) func(*infoState, []byte, [][]byte) error {
	return func(st *infoState, name []byte, args [][]byte) error {
		o := Options{Limits: st.o.Limits}
		if err := fn(&parseState{o: &o, p: st.p}, name, args); err != nil {
			return err
		}
		st.o.Limits = o.Limits
		return nil
	}
}

func infoCrop(st *infoState, name []byte, args [][]byte) error {
	o := Options{}
	if err := parseCrop(&parseState{o: &o, p: st.p}, name, args); err != nil {
		return err
	}
	st.o.Crop = o.Crop
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

var infoByName map[string]*infoSpec

func init() {
	infoByName = map[string]*infoSpec{}
	for i := range infoTable {
		e := &infoTable[i]
		for _, n := range append([]string{e.name}, e.aliases...) {
			if _, dup := infoByName[n]; dup {
				panic(fmt.Sprintf("BUG: options: info option name %q is listed twice", n))
			}
			infoByName[n] = e
		}
	}
}

// KnownInfoOption reports whether name is an info option name or alias
// (for the IMGPROXY_ALLOWED_INFO_OPTIONS check).
func KnownInfoOption(name string) bool {
	_, ok := infoByName[name]
	return ok || indexOf(infoUnsupported, name) >= 0
}

func (st *infoState) applySegment(seg []byte) error {
	i := st.p.indexSep(seg)
	name := seg[:i]
	e := infoByName[b2s(name)]
	if e == nil {
		if indexOf(infoUnsupported, string(name)) >= 0 {
			return invalid("info option %q is not supported by imgedge", name)
		}
		return invalid("unknown info option %q", name)
	}
	if st.p.allowedInfo != nil && !st.fromPreset {
		if _, ok := st.p.allowedInfo[string(name)]; !ok {
			return invalid("info option %q is not allowed", name)
		}
	}
	if e.security && !st.p.allowSec {
		return Errorf(KindSecurityOption, "security info option %q is not allowed", name)
	}
	args := st.p.splitArgs(nil, seg[i+len(st.p.sep):])
	if e.maxArgs > 0 && len(args) > e.maxArgs {
		return invalid("too many arguments for %q: %d, at most %d", name, len(args), e.maxArgs)
	}
	return e.parse(st, name, args)
}

func (st *infoState) presetByName(name []byte) error {
	i, ok := st.p.infoPresetIndex[b2s(name)]
	if !ok {
		return invalid("unknown info preset %q", name)
	}
	return st.applyPreset(i)
}

func (st *infoState) applyPreset(i int) error {
	for _, j := range st.chain[:st.depth] {
		if j == i {
			return nil
		}
	}
	if st.depth == len(st.chain) {
		return invalid("info presets nested deeper than %d", len(st.chain))
	}
	st.chain[st.depth] = i
	st.depth++
	saved := st.fromPreset
	st.fromPreset = true
	defer func() { st.depth--; st.fromPreset = saved }()
	for _, seg := range st.p.infoPresets[i].segments {
		if err := st.applySegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// compileInfoPresets registers the info presets and checks each one.
func (p *Parser) compileInfoPresets(presets map[string]string) error {
	for name, val := range presets {
		pr := preset{name: name}
		for _, seg := range strings.Split(val, "/") {
			if seg != "" {
				pr.segments = append(pr.segments, []byte(seg))
			}
		}
		p.infoPresetIndex[name] = len(p.infoPresets)
		if name == "default" {
			p.defaultInfoPreset = len(p.infoPresets)
		}
		p.infoPresets = append(p.infoPresets, pr)
	}
	for i := range p.infoPresets {
		pr := &p.infoPresets[i]
		for _, seg := range pr.segments {
			if bytes.Index(seg, p.sep) < 0 {
				return ConfigErrorf("IMGPROXY_INFO_PRESETS", "preset %q: %q is not an info option", pr.name, seg)
			}
		}
		o := p.infoDefaults()
		st := &infoState{p: p, o: &o, now: time.Now()}
		if err := st.applyPreset(i); err != nil {
			return ConfigErrorf("IMGPROXY_INFO_PRESETS", "preset %q: %w", pr.name, err)
		}
	}
	return nil
}

func (p *Parser) infoDefaults() InfoOptions {
	o := DefaultInfoOptions()
	o.Limits = p.defaults.Limits
	return o
}

// InfoPrefix is the path segment that selects the /info endpoint, right
// after IMGPROXY_PATH_PREFIX.
const InfoPrefix = "/info"

// ParseInfo parses the signed path of an /info URL (from Split, applied
// to the request target with "/info" removed) into dst: defaults, the
// "default" info preset, the URL's info options (or info preset names in
// IMGPROXY_INFO_ONLY_PRESETS mode) and the source URL, which takes no
// extension. Errors are *Error as for Parse.
func (p *Parser) ParseInfo(path []byte, hints Hints, dst *InfoRequest) error {
	dst.SourceURL = ""
	dst.Options = p.infoDefaults()
	st := &infoState{p: p, o: &dst.Options, now: hints.Now}
	if p.defaultInfoPreset >= 0 {
		if err := st.applyPreset(p.defaultInfoPreset); err != nil {
			return err
		}
	}
	path = bytes.TrimPrefix(path, slash)
	if len(path) == 0 {
		return Errorf(KindInvalidURL, "empty path")
	}
	if p.infoOnlyPresets {
		var seg []byte
		seg, path, _ = bytes.Cut(path, slash)
		st.fromPreset = true
		for _, name := range p.splitArgs(nil, seg) {
			if err := st.presetByName(name); err != nil {
				return err
			}
		}
		st.fromPreset = false
	} else {
		for {
			seg, rest, found := cutSlash(path)
			if p.indexSep(seg) < 0 {
				break
			}
			if err := st.applySegment(seg); err != nil {
				return err
			}
			path = rest
			if !found {
				break
			}
		}
	}
	src, ext, err := p.parseSource(path)
	if err != nil {
		return err
	}
	if len(ext) > 0 {
		return Errorf(KindInvalidURL, "an info url takes no extension, got %q", ext)
	}
	src = p.rewriteSource(src)
	if len(p.sources) > 0 && !p.sourceAllowed(src) {
		return Errorf(KindSourceNotAllowed, "source url %q is not allowed", clipString(src))
	}
	dst.SourceURL = src
	return nil
}
