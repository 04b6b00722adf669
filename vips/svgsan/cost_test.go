package svgsan

import (
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func TestCheckRender(t *testing.T) {
	const head = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000" viewBox="0 0 100 100">`
	shadow := `<defs><filter id="s" x="-20%" y="-20%" width="140%" height="140%"><feGaussianBlur in="SourceAlpha" stdDeviation="2"/>` +
		`<feOffset dx="1" dy="1" result="o"/><feMerge><feMergeNode in="o"/><feMergeNode in="SourceGraphic"/></feMerge></filter></defs>`
	rect := `<rect x="10" y="10" width="80" height="80" filter="url(#s)"/>`
	many := func(s string, n int) string { return strings.Repeat(s, n) }
	f := func(name, doc string, w, h int, ok bool) {
		t.Helper()
		err := CheckRender([]byte(doc), w, h)
		if (err == nil) != ok {
			t.Errorf("%s at %dx%d: got %v; want ok=%v", name, w, h, err, ok)
		}
		if err != nil && options.KindOf(err) != options.KindBrokenSVG {
			t.Errorf("%s: got kind %v; want broken svg", name, options.KindOf(err))
		}
	}
	f("no filter, huge render", head+`<rect width="100" height="100"/></svg>`, 10000, 10000, true)
	f("drop shadow at 300 px", head+shadow+rect+`</svg>`, 300, 300, true)
	f("drop shadow at 2000 px", head+shadow+rect+`</svg>`, 2000, 2000, true)
	f("drop shadow at 3000 px", head+shadow+rect+`</svg>`, 3000, 3000, false) // over MaxFilterPixels
	f("filter defined, unused", head+shadow+`<rect width="9" height="9"/></svg>`, 3000, 3000, true)
	f("100 blurred elements at 300 px", head+shadow+many(rect, 100)+`</svg>`, 300, 300, true)
	f("1000 blurred elements at 300 px", head+shadow+many(rect, 1000)+`</svg>`, 300, 300, false)
	f("filter in a style attribute", head+shadow+many(`<rect style="filter:url(#s)"/>`, 1000)+`</svg>`, 300, 300, false)
	f("filter from a style sheet", head+shadow+`<style><![CDATA[rect { filter: url(#s) }]]></style>`+many(`<rect/>`, 1000)+`</svg>`, 300, 300, false)
	f("use repeats filtered content", head+shadow+`<g id="g">`+rect+`</g>`+many(`<use href="#g"/>`, 1000)+`</svg>`, 300, 300, false)
	f("many attributes before the filter", head+shadow+many(`<rect `+many(`a="1" `, 40)+`filter="url(#s)"/>`, 1000)+`</svg>`, 300, 300, false)

	// Regions and deviations far beyond the document.
	huge := `<svg xmlns="http://www.w3.org/2000/svg" width="10000" height="10000"><filter id="f" filterUnits="userSpaceOnUse" ` +
		`x="-1000000" y="-1000000" width="2000000" height="2000000"><feGaussianBlur stdDeviation="100"/></filter>` +
		`<rect width="10000" height="10000" filter="url(#f)"/></svg>`
	f("huge user-space region", huge, 300, 300, false)
	f("huge bounding-box region", head+`<filter id="f" width="5000%"><feOffset/></filter>`+rect+`</svg>`, 300, 300, false)
	f("region 3x the bounding box", head+`<filter id="f" x="-1" y="-1" width="3" height="3"><feOffset/></filter>`+rect+`</svg>`, 300, 300, true)
	f("huge blur", head+`<filter id="f"><feGaussianBlur stdDeviation="5 100000"/></filter>`+rect+`</svg>`, 300, 300, false)
	f("huge blur, filter unused", head+`<filter id="f"><feGaussianBlur stdDeviation="100000"/></filter></svg>`, 300, 300, false)
	f("blur of half the document", head+`<filter id="f"><feGaussianBlur stdDeviation="50"/></filter>`+rect+`</svg>`, 300, 300, true)
	f("morphology radius 1", head+`<filter id="f"><feMorphology radius="0.1"/></filter>`+rect+`</svg>`, 1000, 1000, true)
	f("morphology radius 10 px", head+`<filter id="f"><feMorphology radius="1"/></filter>`+rect+`</svg>`, 1000, 1000, false)

	// Element count and entities holding markup.
	f("many elements", head+many(`<rect/>`, MaxElements)+`</svg>`, 100, 100, false)
	f("entity with markup", `<!DOCTYPE svg [<!ENTITY r '<rect filter="url(#f)"/>'>]>`+head+`&r;</svg>`, 100, 100, false)
	f("entity without markup", `<!DOCTYPE svg [<!ENTITY ns "http://ns.adobe.com/">]>`+head+`</svg>`, 100, 100, true)
	f("comments and CDATA are not elements", head+`<!-- <rect filter="url(#s)"/> -->`+shadow+`<![CDATA[<rect filter="x"/>]]></svg>`, 3000, 3000, true)
}

// FuzzCheckRender: any input is accepted or refused with KindBrokenSVG,
// never a panic.
func FuzzCheckRender(f *testing.F) {
	for _, s := range seedDocs() {
		f.Add([]byte(s), uint16(300))
	}
	f.Add([]byte(`<svg viewBox="0 0 10 10"><filter id="f" filterUnits="userSpaceOnUse" width="1e9"><feMorphology radius="3 2"/>`+
		`<feConvolveMatrix order="3"/><feTurbulence numOctaves="9"/></filter><rect style="filter:url(#f)"/><use/></svg>`), uint16(4000))
	f.Fuzz(func(t *testing.T, src []byte, size uint16) {
		if err := CheckRender(src, int(size), int(size)); err != nil && options.KindOf(err) != options.KindBrokenSVG {
			t.Fatalf("got kind %v (%v)", options.KindOf(err), err)
		}
	})
}
