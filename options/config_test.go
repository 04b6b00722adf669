package options

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePresets(t *testing.T) {
	got, err := ParsePresets(" thumb=rs:fill:100:100/q:80 , blur=bl:5,, ", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"thumb": "rs:fill:100:100/q:80", "blur": "bl:5"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	got, err = ParsePresets("a=w:1;b=h:2", ";")
	if err != nil || len(got) != 2 || got["b"] != "h:2" {
		t.Fatalf("custom separator: got %v %v", got, err)
	}
	for _, s := range []string{"noequals", "=w:1", "a=w:1,a=w:2"} {
		if _, err := ParsePresets(s, ","); err == nil {
			t.Errorf("ParsePresets(%q): got nil error; want error", s)
		}
	}
	file := "# comment\n\nthumb=w:100\n  small = w:10  \n"
	got, err = ParsePresetsFile(file)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"thumb": "w:100", "small": "w:10"}) {
		t.Fatalf("ParsePresetsFile: got %v %v", got, err)
	}
	if _, err := ParsePresetsFile("ok=w:1\nbroken\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("ParsePresetsFile: got %v; want error naming line 2", err)
	}
}

func TestParseURLReplacements(t *testing.T) {
	got, err := ParseURLReplacements("a://=http://a/; b://*/=http://${1}.b/ ;")
	if err != nil {
		t.Fatal(err)
	}
	want := []URLReplacement{{"a://", "http://a/"}, {"b://*/", "http://${1}.b/"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	if _, err := ParseURLReplacements("nopattern"); err == nil {
		t.Fatal("got nil error; want error")
	}
}

func TestParserConfigValidate(t *testing.T) {
	bad := []ParserConfig{
		{PathPrefix: "img"},
		{PathPrefix: "/img?"},
		{PathPrefix: "/img/"},
		{ArgumentsSeparator: "/"},
		{ArgumentsSeparator: "%"},
		{AllowedProcessingOptions: []string{"bogus"}},
		{AllowedSources: []string{""}},
		{URLReplacements: []URLReplacement{{}}},
		{MaxDimension: -1},
		{MaxURLLength: -1},
		{Presets: map[string]string{"": "w:1"}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("#%d %+v: got nil error; want error", i, c)
		}
		if _, err := NewParser(c); err == nil {
			t.Errorf("#%d: NewParser got nil error; want error", i)
		}
	}
	good := ParserConfig{PathPrefix: "/img", ArgumentsSeparator: ",", AllowedProcessingOptions: []string{"w", "width"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("got %v; want nil", err)
	}
}

func TestMaxDimensionConfig(t *testing.T) {
	p := newParser(t, ParserConfig{MaxDimension: 100})
	if _, err := parseURL(p, "/s/w:100/plain/http://x/a", Hints{}); err != nil {
		t.Fatalf("got %v; want nil", err)
	}
	if _, err := parseURL(p, "/s/w:101/plain/http://x/a", Hints{}); kindOf(err) != KindInvalidURL {
		t.Fatalf("got %v; want KindInvalidURL", err)
	}
}

// TestEveryOptionNamed checks that all 45 open-source options of
// docs/options.md
// with their aliases are recognised.
func TestEveryOptionNamed(t *testing.T) {
	names := strings.Fields(`resize rs size s resizing_type rt width w height h min-width mw min-height mh zoom z dpr
		enlarge el extend ex extend_aspect_ratio extend_ar exar gravity g crop c trim t padding pd auto_rotate ar
		rotate rot flip fl background bg blur bl sharpen sh pixelate pix watermark wm strip_metadata sm
		keep_copyright kcr strip_color_profile scp preserve_hdr ph enforce_thumbnail eth quality q format_quality fq
		max_bytes mb format f ext skip_processing skp raw cachebuster cb expires exp filename fn
		return_attachment att preset pr max_src_resolution msr max_src_file_size msfs max_animation_frames maf
		max_animation_frame_resolution mafr max_result_dimension mrd`)
	seen := map[*optionSpec]bool{}
	for _, n := range names {
		e := lookupOption([]byte(n))
		if e == nil || e.parse == nil {
			t.Errorf("option %q: got %+v; want an OSS option", n, e)
			continue
		}
		seen[e] = true
	}
	if len(seen) != 45 {
		t.Fatalf("got %d distinct options; want 45", len(seen))
	}
}
