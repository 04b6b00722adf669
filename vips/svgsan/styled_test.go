package svgsan

import (
	"strings"
	"testing"
)

func TestSanitizeStyled(t *testing.T) {
	for _, tc := range []struct{ name, src, css, want string }{
		{"first child", `<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`, "rect{fill:red}",
			`<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:red}</style><rect/></svg>`},
		{"self-closing root", `<svg xmlns="http://www.w3.org/2000/svg"/>`, "a > b{}",
			`<svg xmlns="http://www.w3.org/2000/svg"><style>a > b{}</style></svg>`},
		{"root prefix", `<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:rect/></s:svg>`, "x{}",
			`<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:style>x{}</s:style><s:rect/></s:svg>`},
		{"markup escaped", `<svg xmlns="http://www.w3.org/2000/svg"/>`, `</style><script>alert(1)</script>`,
			`<svg xmlns="http://www.w3.org/2000/svg"><style>&lt;/style>&lt;script>alert(1)&lt;/script></style></svg>`},
		{"external url dropped", `<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`, "rect{fill:url(http://x/y#z)}",
			`<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`},
		{"import dropped", `<svg xmlns="http://www.w3.org/2000/svg"/>`, `@im\70 ort "x.css";`,
			`<svg xmlns="http://www.w3.org/2000/svg"/>`},
		{"fragment url kept", `<svg xmlns="http://www.w3.org/2000/svg"/>`, "rect{fill:url(#g)}",
			`<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:url(#g)}</style></svg>`},
	} {
		out, err := SanitizeStyled(nil, []byte(tc.src), tc.css)
		if err != nil || string(out) != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.name, out, err, tc.want)
			continue
		}
		again, err := Sanitize(nil, out)
		if err != nil || string(again) != string(out) {
			t.Errorf("%s: sanitising again gave %s, %v", tc.name, again, err)
		}
	}
	if _, err := SanitizeStyled(nil, []byte("<svg"), "x{}"); err == nil || !strings.Contains(err.Error(), "svg") {
		t.Fatalf("broken svg: got %v", err)
	}
}
