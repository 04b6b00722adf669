package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// cell is one family of the built-in matrix: every option string × every
// source × every extension ("" = none: the server picks the format).
type cell struct {
	family  string
	opts    []string
	sources []string
	exts    []string
}

// builtinMatrix covers the options of docs/options.md that change pixels,
// geometry, format or headers (docs/parity.md). Source names are those of
// the sample set plus the files written by -gen; missing files are skipped.
func builtinMatrix() []cell {
	photo := []string{"FreshFlower.jpg"}  // 1600×1203 landscape JPEG
	port := []string{"portrait.jpg"}      // 400×600 generated
	alpha := []string{"gopher-front.png"} // 202×259 RGBA
	types := []string{"fit", "fill", "fill-down", "force", "auto"}
	var resize, resizeP, enlarge []string
	for _, t := range types {
		for _, s := range []string{"300:200", "200:300", "300:0", "0:200", "0:0", "2000:1000", "300:300"} {
			resize = append(resize, "rs:"+t+":"+s)
		}
		for _, s := range []string{"300:200", "200:300", "100:0", "800:800"} {
			resizeP = append(resizeP, "rs:"+t+":"+s)
		}
		enlarge = append(enlarge, "rs:"+t+":500:400:1")
	}
	enlarge = append(enlarge, "rs:fit:500:0:1", "rs:force:0:600:1", "w:500/el:1", "rs:fill-down:500:400:0", "rs:fill-down:500:100:0")
	compass := []string{"ce", "no", "so", "ea", "we", "noea", "nowe", "soea", "sowe"}
	var extend, exar, grav, gravP []string
	for _, g := range compass {
		extend = append(extend, "rs:fit:400:400:0:1:"+g)
		grav = append(grav, "rs:fill:300:300/g:"+g)
		gravP = append(gravP, "rs:fill:300:200/g:"+g)
	}
	for _, g := range []string{"ce", "no", "ea", "sowe"} {
		exar = append(exar, "rs:fit:400:300/exar:1:"+g, "rs:fit:100:300/exar:1:"+g)
	}
	extend = append(extend, "rs:fit:400:400/ex:1:noea:10:20", "rs:fit:400:400/ex:1:ce:0.1:0.2",
		"w:400/ex:1", "h:400/ex:1", "rs:fit:400:400/ex:1/bg:00ff00", "rs:fit:400:400/ex:1/dpr:2", "rs:fill:400:400:0:1:so")
	exar = append(exar, "rs:fit:400:300/exar:1/ex:1", "w:400/exar:1", "rs:fill:400:300/exar:1")
	var orient, orientNo []string
	for o := 1; o <= 8; o++ {
		orient = append(orient, "exif-"+string(rune('0'+o))+".jpg")
	}
	orientPNG := []string{"orientation-0.png", "orientation-1.png", "orientation-3.png", "orientation-5.png", "orientation-6.png", "orientation-8.png"}
	orientNo = append(orientNo, "ar:0")
	var fmtOut []string
	for _, f := range []string{"jpg", "png", "webp", "avif", "gif", "tiff", "bmp", "ico", "heic", "jxl"} {
		fmtOut = append(fmtOut, f)
	}
	return []cell{
		{"resize", resize, photo, []string{"jpg"}},
		{"resize-port", resizeP, port, []string{"jpg"}},
		{"enlarge", enlarge, alpha, []string{"png"}},
		{"min-size", []string{"w:100/mw:200", "h:100/mh:300", "rs:fit:300:300/mw:400", "mw:2000", "rs:fill:300:200/mh:250", "rs:fit:300:300/mh:500/mw:200"}, photo, []string{"jpg"}},
		{"zoom", []string{"z:0.25", "z:0.5:0.25", "rs:fill:300:200/z:2", "w:300/z:1.5", "z:3", "rs:fill:300:200/z:0.5:1"}, photo, []string{"jpg"}},
		{"dpr", []string{"w:300/dpr:2", "rs:fill:300:200/dpr:3", "w:1000/dpr:2", "dpr:1.5", "rs:fill:300:200/g:nowe:20:10/dpr:2", "w:3000/dpr:0.5"}, photo, []string{"jpg"}},
		{"dpr", []string{"w:100/dpr:2/el:1", "w:150/dpr:2", "w:300/dpr:2/el:1/pd:10"}, alpha, []string{"png"}},
		{"extend", extend, alpha, []string{"png", "jpg"}},
		{"extend-ar", exar, alpha, []string{"png"}},
		{"extend-ar", []string{"rs:fit:400:300/exar:1", "rs:fit:300:400/exar:1:so", "rs:fill:400:400/exar:1"}, photo, []string{"jpg"}},
		{"gravity", grav, port, []string{"jpg"}},
		{"gravity", gravP, photo, []string{"jpg"}},
		{"gravity", []string{"rs:fill:300:300/g:nowe:50:30", "rs:fill:300:300/g:ce:0.2:0.1", "rs:fill:300:300/g:so:10:10", "rs:fill:300:300/g:ea:-20:0",
			"rs:fill:300:300/g:fp:0.2:0.8", "rs:fill:300:300/g:fp:1:0", "rs:fill:300:300/g:fp:0.5:0.5", "rs:fill:300:300/g:sm", "rs:fill:100:400/g:sm"}, port, []string{"jpg"}},
		{"gravity-sm", []string{"rs:fill:300:300/g:sm", "rs:fill:600:200/g:sm"}, []string{"FreshFlower.jpg", "Garden.jpg", "Aqua.jpg", "GreenMeadow.jpg"}, []string{"jpg"}},
		{"gravity-fp", []string{"rs:fill:300:300/g:fp:0.1:0.5", "rs:fill:200:600/g:fp:0.9:0.2"}, []string{"FreshFlower.jpg"}, []string{"jpg"}},
		{"crop", []string{"c:500:400", "c:500:400:nowe", "c:0.5:0.5", "c:0.5:0.5:soea", "c:0.3", "c:0:300", "c:500:400:fp:0.2:0.3",
			"c:500:400/rs:fill:200:100", "c:300:300:sm", "c:3000:3000", "c:500:400:ce:100:50", "c:500:400/g:soea", "c:500:400:so/w:100", "c:200:200/rot:90"}, photo, []string{"jpg"}},
		{"crop", []string{"c:100:100:no", "c:0.5:0.5:ea/w:50", "c:100:100/exar:1/rs:fit:200:100"}, alpha, []string{"png"}},
		{"trim", []string{"t:10", "t:10/w:100", "t:0", "t:50"}, []string{"trim1.png", "find_trim.png", "trim-color.png"}, []string{"png"}},
		{"trim", []string{"t:10:FFFFFF", "t:10:FFFFFF:1:1", "t:10:FFFFFF:1:0", "t:10:FFFFFF:0:1", "t:10::1", "t:10:000000"}, []string{"trim-color.png"}, []string{"png"}},
		{"trim", []string{"t:10:FF00FF", "t:10"}, []string{"trim-alpha.png"}, []string{"png"}},
		{"trim", []string{"t:10/w:60"}, []string{"dancing-banana.gif"}, []string{"gif"}},
		{"padding", []string{"pd:10", "pd:10:20", "pd:10:20:30", "pd:10:20:30:40", "w:200/pd:10/dpr:2", "pd:10/bg:ff0000", "rs:fill:100:100/pd:5:0"}, alpha, []string{"png", "jpg", "webp"}},
		{"rotate", []string{"rot:90", "rot:180", "rot:270", "rot:-90", "rot:360", "rot:90/rs:fill:300:200/g:no", "fl:1", "fl:0:1", "fl:1:1", "fl:1/rot:90", "rot:90/c:200:100:nowe"}, port, []string{"jpg"}},
		{"auto-rotate", []string{"w:150", "rs:fill:100:100/g:no", "rot:90/fl:1"}, orient, []string{"jpg"}},
		{"auto-rotate", orientNo, orient, []string{"jpg"}},
		{"auto-rotate", []string{"w:100", "ar:0/w:100"}, orientPNG, []string{"png"}},
		{"auto-rotate", []string{"w:50"}, []string{"Canon_40D.jpg"}, []string{"jpg"}},
		{"background", []string{"bg:ff0000", "bg:255:0:0", "bg:0f0", "bg:", "w:100/bg:0000ff"}, []string{"alpha.png", "gopher-front.png"}, []string{"jpg", "png"}},
		{"background", []string{"bg:ff0000/w:200"}, photo, []string{"jpg"}},
		{"blur", []string{"bl:2", "bl:10", "bl:0.5", "w:300/bl:5"}, photo, []string{"jpg"}},
		{"blur", []string{"bl:3"}, alpha, []string{"png"}},
		{"sharpen", []string{"sh:1", "sh:5", "w:300/sh:2"}, photo, []string{"jpg"}},
		{"pixelate", []string{"pix:10", "pix:1", "w:300/pix:20", "pix:7/rs:fill:100:100"}, photo, []string{"jpg"}},
		{"pixelate", []string{"pix:10"}, alpha, []string{"png"}},
		{"watermark", []string{"wm:1", "wm:0.5", "wm:1:no", "wm:1:so", "wm:1:ea", "wm:1:we", "wm:1:noea", "wm:1:nowe", "wm:1:soea", "wm:1:sowe",
			"wm:1:soea:10:20", "wm:1:nowe:0.1:0.1", "wm:1:ce:0:0:0.5", "wm:1:re", "wm:1:re:10:10", "wm:0.7:re:0:0:0.2", "wm:1/pd:20", "w:300/wm:1/dpr:2"}, []string{"FreshFlower.jpg"}, []string{"jpg"}},
		{"watermark", []string{"wm:1", "wm:1:re"}, alpha, []string{"png"}},
		{"watermark", []string{"wm:1:soea"}, []string{"dancing-banana.gif"}, []string{"gif"}},
		{"colour", []string{"w:300", "w:300/scp:0", "w:300/scp:1"}, []string{"jpg-24bit-icc-adobe-rgb.jpg", "cmyk.jpg"}, []string{"jpg", "png", "webp"}},
		{"colour", []string{"w:100", "w:100/ph:1"}, []string{"png16.png", "grey.png", "Stripes.png"}, []string{"", "jpg", "png", "webp"}},
		{"format", []string{"w:200"}, []string{"FreshFlower.jpg", "gopher-front.png", "dancing-banana.gif", "demo3.webp", "gopher-front.avif",
			"gopher-front.heif", "bmp_24.bmp", "test.svg", "sample.pdf"}, fmtOut},
		{"format-caps", []string{"w:10", "rs:fit:12:40"}, []string{"FreshFlower.jpg", "gopher-front.png"}, []string{"avif"}},
		{"format-caps", []string{"q:80", "w:2000/el:1"}, []string{"FreshFlower.jpg", "symbolic-l.webp"}, []string{"ico"}},
		{"alpha-photo", []string{"w:300", "rs:fill:300:300/g:sm", "w:300/bg:336699"}, []string{"Float-into-MATE.png", "Stripes.png"}, []string{"", "jpg", "webp"}},
		{"quality", []string{"q:10", "q:50", "q:95", "fq:jpeg:20:webp:30:avif:25"}, photo, []string{"jpg", "webp", "avif"}},
		{"max-bytes", []string{"w:400/mb:8000", "w:400/mb:3000", "w:400/mb:1", "w:400/mb:8000/q:90"}, photo, []string{"jpg", "webp", "avif", "png"}},
		{"auto-format", []string{"w:100", "w:100/pd:10", "w:100/pd:10/bg:ffffff", "w:100/ex:1/rs:fit:200:200"}, []string{"FreshFlower.jpg", "gopher-front.png", "alpha.png",
			"dancing-banana.gif", "demo3.webp", "test.svg", "gopher-front.avif", "gopher-front.heif", "bmp_24.bmp", "png16.png"}, []string{""}},
		{"animation", []string{"w:50", "rs:fill:50:50", "rs:fill:50:50/g:sm", "rot:90/fl:1", "pd:5/bg:ff0000"}, []string{"dancing-banana.gif", "demo3.webp"}, []string{"", "gif", "webp"}},
		{"svg", []string{"w:300", "w:1000", "rs:fill:100:100", "pd:10"}, []string{"test.svg", "test1.svg"}, []string{"", "png", "jpg"}},
		{"skip", []string{"skp:jpg/w:100", "skp:png/w:100", "skp:jpg:png/w:100"}, []string{"FreshFlower.jpg", "gopher-front.png"}, []string{"", "png"}},
		{"skip", []string{"skp:svg/w:100", "skp:gif/w:10", "skp:webp/w:10"}, []string{"test.svg", "dancing-banana.gif", "demo3.webp"}, []string{""}},
		{"headers", []string{"w:100/fn:myname", "w:100/fn:bXkgbmFtZQ:1", "w:100/att:1", "w:100/att:1/fn:x", "w:100/exp:4102444800", "w:100/cb:123", "w:100/fn:a%22b"}, photo, []string{"", "png"}},
	}
}

// matrix expands the built-in matrix into paths, keeping only sources
// present in root. Sources are local:/// URLs, so both servers need
// IMGPROXY_LOCAL_FILESYSTEM_ROOT=root.
func matrix(root, sig string) []urlEntry {
	var out []urlEntry
	seen := map[string]bool{}
	for _, c := range builtinMatrix() {
		for _, src := range c.sources {
			if _, err := os.Stat(filepath.Join(root, src)); err != nil {
				continue
			}
			for _, o := range c.opts {
				for _, ext := range c.exts {
					p := "/" + sig + "/" + o + "/plain/local:///" + escapePath(src)
					if ext != "" {
						p += "@" + ext
					}
					if !seen[p] {
						seen[p] = true
						out = append(out, urlEntry{Family: c.family, Path: p})
					}
				}
			}
		}
	}
	return out
}

// escapePath percent-encodes a file name for a plain source URL.
func escapePath(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
