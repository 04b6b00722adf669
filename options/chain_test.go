package options

import (
	"reflect"
	"testing"
)

// pipelineFields are the fields of Options that belong to one pipeline of
// a chained request; every other field is a request field that
// copyRequestFields must carry. A new field of Options fails
// TestRequestFieldsClassified until it is added here or there.
var pipelineFields = map[string]bool{
	"ResizingType": true, "Width": true, "Height": true, "MinWidth": true, "MinHeight": true,
	"ZoomX": true, "ZoomY": true, "Dpr": true, "Enlarge": true, "Extend": true, "ExtendAspectRatio": true,
	"Gravity": true, "Crop": true, "Trim": true, "Padding": true, "AutoRotate": true, "Rotate": true,
	"FlipH": true, "FlipV": true, "Background": true, "HasBackground": true, "Blur": true, "Sharpen": true,
	"Pixelate": true, "Watermark": true,
	"ResizingAlgorithm": true, "CropAspectRatio": true, "BackgroundAlpha": true, "HasBackgroundAlpha": true,
	"Adjust": true, "Monochrome": true, "Duotone": true, "Colorize": true, "Gradient": true,
	"UnsharpMasking": true, "BlurAreas": true, "ProgressiveBlur": true,
	"Previous": true, // the chain link itself
}

func TestRequestFieldsClassified(t *testing.T) {
	typ := reflect.TypeFor[Options]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		var from, to Options
		f := reflect.ValueOf(&from).Elem().Field(i)
		leaves(t, f, name, func(_ string, leaf reflect.Value) { perturb(leaf, 0) })
		to.copyRequestFields(&from)
		copied := reflect.ValueOf(&to).Elem().Field(i).Interface() == f.Interface()
		if name == "FormatQuality" { // an array: compare element-wise
			copied = to.FormatQuality == from.FormatQuality
		}
		switch {
		case pipelineFields[name] && copied && !f.IsZero():
			t.Errorf("%s is a pipeline field but copyRequestFields copies it", name)
		case !pipelineFields[name] && !copied:
			t.Errorf("%s is neither copied by copyRequestFields nor listed in pipelineFields: classify it (options/chain.go)", name)
		}
	}
}

func TestChainedPipelines(t *testing.T) {
	p := newParser(t, ParserConfig{Presets: map[string]string{
		"test":  "width:300/height:300/-/width:200/height:200/-/width:100/height:200",
		"small": "w:10/q:50",
	}})
	parse := func(opts string) *Request {
		t.Helper()
		r, err := parseURL(p, "/insecure/"+opts+srcTail, Hints{Now: fixedNow})
		if err != nil {
			t.Fatalf("%s: %v", opts, err)
		}
		return r
	}
	sizes := func(r *Request) [][2]int {
		var out [][2]int
		for _, o := range r.Options.Pipelines() {
			out = append(out, [2]int{o.Width, o.Height})
		}
		return out
	}
	// The documented preset merge: a preset's pipelines follow the one it
	// is used in and merge with the URL's.
	r := parse("width:400/-/preset:test/width:500/-/width:600")
	if got, want := sizes(r), [][2]int{{400, 0}, {500, 300}, {600, 200}, {100, 200}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("preset merge: got %v; want %v", got, want)
	}
	// Request fields apply to the whole request wherever they are written;
	// the last value wins and every pipeline carries it.
	r = parse("f:png/q:70/w:100/-/h:50/q:60/-/pr:small")
	ps := r.Options.Pipelines()
	if len(ps) != 3 {
		t.Fatalf("got %d pipelines; want 3", len(ps))
	}
	for i, o := range ps {
		if o.Format != FormatPNG || o.Quality != 50 {
			t.Errorf("pipeline %d: format %v quality %d; want png 50", i, o.Format, o.Quality)
		}
	}
	if ps[0].Width != 100 || ps[1].Width != 0 || ps[1].Height != 50 || ps[2].Width != 10 {
		t.Errorf("pipeline sizes %v", sizes(r))
	}
	// The extension is a request field too.
	r = parse("w:10/-/w:5")
	if r.Options.Previous == nil || r.Options.Previous.Format != FormatUnknown {
		t.Fatal("w:10/-/w:5 is not a chain of two")
	}
	r2, err := parseURL(p, "/insecure/w:10/-/w:5/plain/http://example.com/a.jpg@webp", Hints{Now: fixedNow})
	if err != nil || r2.Options.Previous.Format != FormatWebP || r2.Options.Format != FormatWebP {
		t.Fatalf("extension on a chain: %v", err)
	}
	// A single pipeline has no Previous; the key tells chains apart.
	one, two := parse("w:10"), parse("w:10/-")
	if one.Options.Previous != nil {
		t.Fatal("a single pipeline has a Previous")
	}
	if string(one.Options.AppendKey(nil)) == string(two.Options.AppendKey(nil)) {
		t.Fatal("w:10 and w:10/- have the same key")
	}
	if string(parse("w:10/-/h:5").Options.AppendKey(nil)) == string(parse("w:11/-/h:5").Options.AppendKey(nil)) {
		t.Fatal("the key ignores the first pipeline")
	}
}

func TestChainedPipelinesLimits(t *testing.T) {
	p := newParser(t, ParserConfig{MaxChainedPipelines: 2, Presets: map[string]string{"three": "w:1/-/w:2/-/w:3"}})
	for _, tc := range []struct {
		opts string
		ok   bool
	}{
		{"w:1/-/w:2", true},
		{"w:1/-/w:2/-/w:3", false},
		{"pr:three", true}, // presets are not counted
		{"-/-/-/-/-/-/-/-/w:1", false},
	} {
		_, err := parseURL(p, "/insecure/"+tc.opts+srcTail, Hints{Now: fixedNow})
		if (err == nil) != tc.ok {
			t.Errorf("%s: got error %v; want ok=%v", tc.opts, err, tc.ok)
		}
		if err != nil && kindOf(err) != KindInvalidURL {
			t.Errorf("%s: got kind %s; want invalid_url", tc.opts, kindOf(err))
		}
	}
	q := newParser(t, ParserConfig{})
	if _, err := parseURL(q, "/insecure/-/-/-/-/-/-/-/-/w:1"+srcTail, Hints{Now: fixedNow}); err == nil {
		t.Errorf("%d pipelines accepted; the hard cap is %d", 9, MaxPipelines)
	}
}

func TestAutoqualityAndBest(t *testing.T) {
	p := newParser(t, ParserConfig{})
	aq := func(a Autoquality) func(o *Options) { return func(o *Options) { o.Autoquality = a } }
	runOptCases(t, p, []optCase{
		{"aq size", "autoquality:size:10240:10:80", aq(Autoquality{Method: AutoqualitySize, Target: 10240, Min: 10, Max: 80}), 0},
		{"aq dssim all", "aq:dssim:0.02:70:80:0.001", aq(Autoquality{Method: AutoqualityDSSIM, Target: 0.02, Min: 70, Max: 80, AllowedError: 0.001, HasAllowedError: true}), 0},
		{"aq method only", "aq:dssim", aq(Autoquality{Method: AutoqualityDSSIM}), 0},
		{"aq keeps omitted", "aq:size:1000/aq::::90", aq(Autoquality{Method: AutoqualitySize, Target: 1000, Max: 90}), 0},
		{"aq none", "aq:none", aq(Autoquality{Method: AutoqualityNone}), 0},
		{"aq ml", "aq:ml:0.02", nil, KindInvalidURL},
		{"aq unknown", "aq:psnr", nil, KindInvalidURL},
		{"aq min above max", "aq:dssim:0.02:90:80", nil, KindInvalidURL},
		{"aq zero target", "aq:size:0", nil, KindInvalidURL},
		{"aq bad quality", "aq:size:100:0", nil, KindInvalidURL},
		{"aq error range", "aq:dssim:0.02:::2", nil, KindInvalidURL},
		{"aq too many", "aq:dssim:1:2:3:0.1:9", nil, KindInvalidURL},
		{"best", "f:best", func(o *Options) { o.BestFormat = true }, 0},
	})
	r, err := parseURL(p, "/insecure/w:10/plain/http://example.com/a.jpg@best", Hints{Now: fixedNow})
	if err != nil || !r.Options.BestFormat || r.Options.Format != FormatUnknown {
		t.Fatalf("@best: %+v, %v", r, err)
	}
	r, err = parseURL(p, "/insecure/f:best/plain/http://example.com/a.jpg@png", Hints{Now: fixedNow})
	if err != nil || r.Options.BestFormat || r.Options.Format != FormatPNG {
		t.Fatalf("f:best then @png: %+v, %v", r, err)
	}
	if _, err := parseURL(p, "/insecure/fq:best:50"+srcTail, Hints{Now: fixedNow}); err == nil {
		t.Fatal("format_quality accepted best")
	}
	if m, ok := ParseAutoqualityMethod("ml"); ok {
		t.Fatalf("ParseAutoqualityMethod(ml) = %v, true", m)
	}
}
