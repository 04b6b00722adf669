package main

// Tests that keep the documentation honest: the signing examples of
// docs/signing.md reproduce the test vectors, the example URLs of
// docs/url-format.md parse, the CloudFront function of docs/cdn.md works,
// and relative links between the docs resolve.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
)

// signingVectors are imgproxy's signing test vectors, printed at the end of
// docs/signing.md.
var signingVectors = []struct {
	key, salt string
	size      int
	path, sig string
}{
	{"736563726574", "68656C6C6F", 32, "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png", "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8"},
	{"736563726574", "68656C6C6F", 32, "/rs:fill:300:400:0/g:sm/plain/http://example.com/images/curiosity.jpg@png", "v4il5rmSYrVOW341NliE_MPcqrwWLyWyeHNDz9YGFBs"},
	{key3, salt3, 32, "/rs:fit:300:300/plain/http://img.example.com/pretty/image.jpg", "m3k5QADfcKPDj-SDI2AIogZbC3FlAXszuwhtWXYqavc"},
	{key3, salt3, 8, "/rs:fit:300:300/plain/http://img.example.com/pretty/image.jpg", "m3k5QADfcKM"},
	{key3, salt3, 32, "/rs:fit:300:300/plain/http%3A%2F%2Fexample.com%2Fimages%2Fcuriosity.jpg@webp", "ls9rSzOfWk9WhGxtWn9nOSFFfrpnjaUisD4F-DincQI"},
	{key3, salt3, 8, "/rs:fit:300:300/plain/http%3A%2F%2Fexample.com%2Fimages%2Fcuriosity.jpg@webp", "ls9rSzOfWk8"},
	{"746573742d6b6579", "746573742d73616c74", 32, "/asd", "oWaL7QoW5TsgbuiS9-5-DI8S3Ibbo1gdB2SteJh3a20"},
	{"746573742d6b6579", "746573742d73616c74", 8, "/asd", "oWaL7QoW5Ts"},
	{"00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100", 32, "/w:200/h:100/rt:fill/g:fp:0.5:0.3/plain/s3://bucket/path/to/img.png@avif", "ptgc1Sj0FHQMdBPqBi3il0NxF1ltpb5rMkUT4YszsZE"},
}

const (
	key3  = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881"
	salt3 = "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5"
)

// codeBlocks returns the first fenced code block of each language tag.
func codeBlocks(md string) map[string]string {
	re := regexp.MustCompile("(?ms)^[ \t]*```([a-z]+)\n(.*?)^[ \t]*```")
	blocks := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(md, -1) {
		if _, ok := blocks[m[1]]; !ok {
			blocks[m[1]] = m[2]
		}
	}
	return blocks
}

// TestSigningExamples runs every signing example of docs/signing.md whose
// interpreter is installed and checks it reproduces each spec test vector.
func TestSigningExamples(t *testing.T) {
	blocks := codeBlocks(readRepoFile(t, "docs/signing.md"))
	examples := []struct {
		lang, file string
		cmd        []string // interpreter; the script path and the signed path follow
	}{
		{"go", "sign.go", nil},
		{"js", "sign.js", []string{"node"}},
		{"python", "sign.py", []string{"python3"}},
		{"ruby", "sign.rb", []string{"ruby"}},
		{"php", "sign.php", []string{"php"}},
		{"bash", "sign.sh", []string{"bash"}},
	}
	for _, ex := range examples {
		t.Run(ex.lang, func(t *testing.T) {
			t.Parallel() // interpreter start-up dominates; languages are independent
			code, ok := blocks[ex.lang]
			if !ok {
				t.Fatalf("docs/signing.md has no ```%s block", ex.lang)
			}
			if ex.lang == "bash" {
				needTool(t, "openssl")
			}
			dir := t.TempDir()
			script := filepath.Join(dir, ex.file)
			if err := os.WriteFile(script, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			var argv []string
			if ex.cmd == nil { // Go: build once, run per vector
				bin := filepath.Join(dir, "sign")
				cmd := exec.Command("go", "build", "-o", bin, script)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=0")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go build of the Go example: %v\n%s", err, out)
				}
				argv = []string{bin}
			} else {
				argv = []string{needTool(t, ex.cmd[0]), script}
			}
			for i, v := range signingVectors {
				cmd := exec.Command(argv[0], append(argv[1:], v.path)...)
				size := "" // unset for 32: exercises each example's default
				if v.size != 32 {
					size = strconv.Itoa(v.size)
				}
				// exec keeps the last of duplicate variables.
				cmd.Env = append(os.Environ(), "IMGPROXY_KEY="+v.key, "IMGPROXY_SALT="+v.salt, "IMGPROXY_SIGNATURE_SIZE="+size)
				out, err := cmd.Output()
				if err != nil {
					msg := ""
					if ee, ok := err.(*exec.ExitError); ok {
						msg = string(ee.Stderr)
					}
					t.Fatalf("vector %d: %v\n%s", i+1, err, msg)
				}
				if got, want := strings.TrimRight(string(out), "\n"), "/"+v.sig+v.path; got != want {
					t.Errorf("vector %d: got %q; want %q", i+1, got, want)
				}
			}
		})
	}
}

// TestSigningVectorsMatchServer checks the vectors the docs promise against
// the server's own verifier, so the examples and the server cannot disagree.
func TestSigningVectorsMatchServer(t *testing.T) {
	for i, v := range signingVectors {
		keys, err := sign.ParseHexList(v.key)
		if err != nil {
			t.Fatal(err)
		}
		salts, err := sign.ParseHexList(v.salt)
		if err != nil {
			t.Fatal(err)
		}
		ver, err := sign.New(sign.Config{Keys: keys, Salts: salts, SignatureSize: v.size})
		if err != nil {
			t.Fatal(err)
		}
		if err := ver.Verify([]byte(v.sig), []byte(v.path)); err != nil {
			t.Errorf("vector %d: server refuses the documented signature: %v", i+1, err)
		}
		if got := sign.Sign(keys[0], salts[0], []byte(v.path), v.size); got != v.sig {
			t.Errorf("vector %d: sign.Sign got %q; want %q", i+1, got, v.sig)
		}
	}
}

// TestURLFormatExamples parses every example path of docs/url-format.md
// with the real parser, so the documented URLs stay valid.
func TestURLFormatExamples(t *testing.T) {
	md := readRepoFile(t, "docs/url-format.md")
	p, err := options.NewParser(options.ParserConfig{
		Presets:  map[string]string{"thumb": "rs:fill:150:150/q:70"},
		Defaults: options.DefaultOptions(),
	})
	if err != nil {
		t.Fatal(err)
	}
	paths := regexp.MustCompile("`(/insecure/[^`]+)`").FindAllStringSubmatch(md, -1)
	if len(paths) < 10 {
		t.Fatalf("found %d example paths in docs/url-format.md; want >= 10", len(paths))
	}
	for _, m := range paths {
		_, path, err := p.Split([]byte(m[1]))
		if err != nil {
			t.Errorf("%s: Split: %v", m[1], err)
			continue
		}
		var r options.Request
		if err := p.Parse(path, options.Hints{Now: time.Now()}, &r); err != nil {
			t.Errorf("%s: Parse: %v", m[1], err)
			continue
		}
		if strings.Contains(m[1], "aHR0cHM6Ly9leGFtcGxlLmNvbS9jYXQuanBn") && r.SourceURL != "https://example.com/cat.jpg" {
			t.Errorf("%s: source got %q; want https://example.com/cat.jpg", m[1], r.SourceURL)
		}
	}
}

// TestCloudFrontFunction runs the CloudFront Function of docs/cdn.md in node
// on sample viewer-request events.
func TestCloudFrontFunction(t *testing.T) {
	node := needTool(t, "node")
	code, ok := codeBlocks(readRepoFile(t, "docs/cdn.md"))["js"]
	if !ok {
		t.Fatalf("docs/cdn.md has no ```js block")
	}
	harness := code + `
const accepts = JSON.parse(process.argv[2]);
const out = accepts.map((a) => {
  const headers = a === null ? {} : { accept: { value: a } };
  const r = handler({ request: { uri: "/sig/rs:fit:10:10/plain/x", querystring: { v: { value: "1" } }, headers } });
  return [r.headers.accept.value, Object.keys(r.querystring).length, r.uri];
});
console.log(JSON.stringify(out));
`
	script := filepath.Join(t.TempDir(), "cf.js")
	if err := os.WriteFile(script, []byte(harness), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		accept any // string or nil (no header)
		want   string
	}{
		{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/avif,image/webp"},
		{"image/webp,*/*", "image/webp"},
		{"image/png,image/*;q=0.8,*/*;q=0.5", "*/*"},
		{"*/*", "*/*"},
		{nil, "*/*"},
	}
	var in []any
	for _, c := range cases {
		in = append(in, c.accept)
	}
	arg, _ := json.Marshal(in)
	out, err := exec.Command(node, script, string(arg)).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got [][]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("cannot parse %q: %v", out, err)
	}
	for i, c := range cases {
		if got[i][0] != c.want || got[i][1] != float64(0) || got[i][2] != "/sig/rs:fit:10:10/plain/x" {
			t.Errorf("Accept %v: got %v; want [%s 0 /sig/rs:fit:10:10/plain/x]", c.accept, got[i], c.want)
		}
	}
}

// ownedDocs are the pages this package's tests keep honest.
var ownedDocs = []string{
	"docs/getting-started.md", "docs/url-format.md", "docs/signing.md", "docs/cdn.md",
	"docs/tuning.md", "docs/metrics.md", "docs/security.md", "docs/migration.md",
	"docs/http.md", "docs/options.md",
}

// githubSlug is GitHub's heading anchor: lower case, punctuation other than
// '-' and '_' dropped, spaces to '-'.
func githubSlug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocsLinks checks that every relative link of the owned docs points at
// an existing file and, with a #fragment, at an existing heading.
func TestDocsLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading := regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	fence := regexp.MustCompile("(?ms)^[ \t]*```.*?^[ \t]*```")
	for _, doc := range ownedDocs {
		md := fence.ReplaceAllString(readRepoFile(t, doc), "")
		for _, m := range link.FindAllStringSubmatch(md, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			rel := doc
			if file != "" {
				rel = filepath.Join(filepath.Dir(doc), file)
			}
			b, err := os.ReadFile(rel)
			if err != nil {
				if strings.HasSuffix(rel, "config.md") || strings.HasSuffix(rel, "BENCHMARKS.md") {
					continue // generated / written by others; may not exist yet
				}
				t.Errorf("%s: link %q: %v", doc, target, err)
				continue
			}
			if frag == "" {
				continue
			}
			found := false
			for _, h := range heading.FindAllStringSubmatch(fence.ReplaceAllString(string(b), ""), -1) {
				if githubSlug(strings.TrimSpace(h[1])) == frag {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: link %q: no heading with anchor #%s in %s", doc, target, frag, rel)
			}
		}
	}
}

// readRepoFile returns the content of a file of the repository (relative
// to its root, where this package's tests run).
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(rel)
	if err != nil {
		t.Fatalf("cannot read %s: %v", rel, err)
	}
	return string(b)
}
