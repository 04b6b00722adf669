package deploy

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction after joining continuation lines.
type instruction struct {
	Line int    // 1-based line where it starts
	Cmd  string // upper-case keyword, e.g. "RUN"
	Args string // the rest, continuation backslashes removed
}

// stage is one FROM ... section.
type stage struct {
	Image, Name string
	Instr       []instruction
}

// parseDockerfile is a small parser for the subset of the Dockerfile syntax
// that imgedge's Dockerfile uses: comments, parser directives, line
// continuations with `\`, and instructions. It rejects unknown keywords.
func parseDockerfile(src string) (global []instruction, stages []stage, err error) {
	known := map[string]bool{
		"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "EXPOSE": true, "ENV": true,
		"ADD": true, "COPY": true, "ENTRYPOINT": true, "VOLUME": true, "USER": true,
		"WORKDIR": true, "ARG": true, "ONBUILD": true, "STOPSIGNAL": true,
		"HEALTHCHECK": true, "SHELL": true,
	}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		start := i + 1
		var b strings.Builder
		for {
			cont := strings.HasSuffix(line, "\\")
			if cont {
				line = strings.TrimSuffix(line, "\\")
			}
			b.WriteString(line)
			b.WriteByte(' ')
			if !cont {
				break
			}
			// Comment and empty lines inside a continuation are dropped,
			// as BuildKit does.
			for {
				i++
				if i >= len(lines) {
					return nil, nil, fmt.Errorf("line %d: continuation at end of file", start)
				}
				line = strings.TrimSpace(lines[i])
				if line != "" && !strings.HasPrefix(line, "#") {
					break
				}
			}
		}
		full := strings.TrimSpace(b.String())
		kw, rest, _ := strings.Cut(full, " ")
		kw = strings.ToUpper(kw)
		if !known[kw] {
			return nil, nil, fmt.Errorf("line %d: unknown instruction %q", start, kw)
		}
		in := instruction{Line: start, Cmd: kw, Args: strings.Join(strings.Fields(rest), " ")}
		if kw == "FROM" {
			f := strings.Fields(rest)
			st := stage{Image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.Name = f[2]
			} else if len(f) != 1 {
				return nil, nil, fmt.Errorf("line %d: bad FROM %q", start, rest)
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if kw != "ARG" {
				return nil, nil, fmt.Errorf("line %d: %s before the first FROM", start, kw)
			}
			global = append(global, in)
			continue
		}
		stages[len(stages)-1].Instr = append(stages[len(stages)-1].Instr, in)
	}
	if len(stages) == 0 {
		return nil, nil, fmt.Errorf("no FROM instruction")
	}
	return global, stages, nil
}

func (s *stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Instr {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// env returns the stage's ENV key=value pairs (unquoted values only).
func (s *stage) env(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, in := range s.all("ENV") {
		for _, kv := range strings.Fields(in.Args) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("line %d: ENV %q: use the key=value form", in.Line, kv)
			}
			m[k] = strings.Trim(v, `"`)
		}
	}
	return m
}

// aptInstalled returns the packages named by `apt-get install` in the stage.
func (s *stage) aptInstalled() []string {
	var pkgs []string
	for _, in := range s.all("RUN") {
		for _, cmd := range regexp.MustCompile(`&&|;|\|\|`).Split(in.Args, -1) {
			f := strings.Fields(cmd)
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "apt-get" {
					for j := i + 1; j < len(f); j++ {
						if f[j] == "install" {
							for _, p := range f[j+1:] {
								if !strings.HasPrefix(p, "-") {
									pkgs = append(pkgs, p)
								}
							}
							break
						}
					}
					break
				}
			}
		}
	}
	return pkgs
}

func execForm(t *testing.T, in instruction, args string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Fatalf("line %d: %s %s: not exec (JSON) form: %v", in.Line, in.Cmd, args, err)
	}
	return v
}

func loadDockerfile(t *testing.T) (build, runtime *stage) {
	t.Helper()
	_, stages, err := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) != 2 {
		t.Fatalf("got %d stages; want 2 (build, runtime)", len(stages))
	}
	return &stages[0], &stages[1]
}

func TestDockerfileParserRejectsGarbage(t *testing.T) {
	for _, src := range []string{
		"",
		"RUN echo before from\n",
		"FROM debian\nFROB x\n",
		"FROM debian\nRUN a \\\n",
		"FROM a b c d\n",
	} {
		if _, _, err := parseDockerfile(src); err == nil {
			t.Errorf("parseDockerfile(%q): got nil error; want an error", src)
		}
	}
}

func TestDockerfileStages(t *testing.T) {
	build, runtime := loadDockerfile(t)
	if got, want := build.Image, "golang:1.26-bookworm"; got != want {
		t.Errorf("build stage image: got %q; want %q", got, want)
	}
	if build.Name == "" {
		t.Fatalf("build stage has no name")
	}
	if got, want := runtime.Image, "debian:bookworm-slim"; got != want {
		t.Errorf("runtime stage image: got %q; want %q", got, want)
	}
	if !contains(build.aptInstalled(), "libvips-dev") {
		t.Errorf("build stage installs %v; want libvips-dev among them", build.aptInstalled())
	}
	for _, p := range runtime.aptInstalled() {
		if strings.HasSuffix(p, "-dev") || p == "build-essential" || p == "gcc" {
			t.Errorf("runtime stage installs build package %q", p)
		}
	}
	for _, p := range []string{"libvips42", "ca-certificates"} {
		if !contains(runtime.aptInstalled(), p) {
			t.Errorf("runtime stage installs %v; want %s among them", runtime.aptInstalled(), p)
		}
	}

	// The binary comes from the build stage to the path the health check uses.
	copied := false
	for _, in := range runtime.all("COPY") {
		if strings.Contains(in.Args, "--from="+build.Name) && strings.HasSuffix(in.Args, " /usr/local/bin/imgedge") {
			copied = true
		}
	}
	if !copied {
		t.Errorf("runtime stage: no COPY --from=%s ... /usr/local/bin/imgedge", build.Name)
	}
	// A version build-arg reaches the linker.
	ldflags := false
	for _, in := range build.all("RUN") {
		if strings.Contains(in.Args, "go build") && strings.Contains(in.Args, "${VERSION}") {
			ldflags = true
		}
	}
	if !ldflags || len(build.all("ARG")) == 0 {
		t.Errorf("build stage: want ARG VERSION passed to go build -ldflags")
	}
}

func TestDockerfileRuntimeUserAndHealth(t *testing.T) {
	_, runtime := loadDockerfile(t)
	users := runtime.all("USER")
	if len(users) == 0 {
		t.Fatalf("runtime stage has no USER: it would run as root")
	}
	user := users[len(users)-1].Args
	uidStr, _, _ := strings.Cut(user, ":")
	uid, err := strconv.Atoi(uidStr)
	if err != nil {
		t.Fatalf("USER %q: want a numeric uid (Kubernetes runAsNonRoot cannot check names)", user)
	}
	if uid == 0 {
		t.Fatalf("USER %q: got root; want non-root", user)
	}

	hc := runtime.all("HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("got %d HEALTHCHECK instructions; want 1", len(hc))
	}
	_, cmd, ok := strings.Cut(hc[0].Args, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %q: no CMD", hc[0].Args)
	}
	if got, want := strings.Join(execForm(t, hc[0], cmd), " "), "/usr/local/bin/imgedge health"; got != want {
		t.Errorf("HEALTHCHECK CMD: got %q; want %q", got, want)
	}
	ep := runtime.all("ENTRYPOINT")
	if len(ep) != 1 {
		t.Fatalf("got %d ENTRYPOINT instructions; want 1", len(ep))
	}
	if got := execForm(t, ep[0], ep[0].Args); len(got) == 0 || got[0] != "/usr/local/bin/imgedge" {
		t.Errorf("ENTRYPOINT: got %q; want /usr/local/bin/imgedge first", got)
	}

	env := runtime.env(t)
	bind := env["IMGPROXY_BIND"]
	if bind == "" {
		t.Fatalf("runtime stage: IMGPROXY_BIND not set")
	}
	_, port, _ := strings.Cut(bind, ":")
	exposed := false
	for _, in := range runtime.all("EXPOSE") {
		for _, p := range strings.Fields(in.Args) {
			if strings.TrimSuffix(p, "/tcp") == port {
				exposed = true
			}
		}
	}
	if !exposed {
		t.Errorf("IMGPROXY_BIND=%s but port %s is not EXPOSEd", bind, port)
	}
	checkNoAllocatorVariables(t, "Dockerfile ENV", env)
	names := map[string]bool{}
	for k := range env {
		names[k] = true
	}
	checkKnownVariables(t, "Dockerfile ENV", names)
	if _, ok := env["IMGPROXY_GRACEFUL_STOP_TIMEOUT"]; !ok {
		t.Errorf("runtime stage: IMGPROXY_GRACEFUL_STOP_TIMEOUT not set (the Kubernetes grace period depends on it)")
	}
}

// TestDockerfileRuntimeLibraries checks that every shared library the binary
// and libvips' loadable modules need is shipped by a Debian package in the
// dependency closure of what the runtime stage installs. The builder and the
// runtime image are both Debian 12, like this machine, so the package names
// and paths found here are the ones the image will have.
func TestDockerfileRuntimeLibraries(t *testing.T) {
	needTool(t, "ldd")
	needTool(t, "dpkg")
	needTool(t, "apt-cache")
	bin := builtBinary(t)
	_, runtime := loadDockerfile(t)
	pkgs := runtime.aptInstalled()

	closure := aptClosure(t, pkgs)
	targets := []string{bin}
	if out, err := exec.Command("dpkg", "-L", "libvips42").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "/vips-modules-") && strings.HasSuffix(l, ".so") {
				targets = append(targets, l)
			}
		}
	}

	libs := map[string]string{} // library path -> first object needing it
	for _, target := range targets {
		for _, lib := range lddPaths(t, target) {
			if _, ok := libs[lib]; !ok {
				libs[lib] = target
			}
		}
	}
	if len(libs) == 0 {
		t.Fatalf("ldd found no libraries for %s; want at least libvips", bin)
	}
	names := make([]string, 0, len(libs))
	for l := range libs {
		names = append(names, l)
	}
	sort.Strings(names)
	sawVips := false
	ownersOf := dpkgOwners(names)
	base := basePackages()
	for _, lib := range names {
		if strings.Contains(filepath.Base(lib), "libvips.so") {
			sawVips = true
		}
		owners := ownersOf[lib]
		if len(owners) == 0 {
			t.Errorf("%s (needed by %s) belongs to no Debian package: the image cannot provide it", lib, libs[lib])
			continue
		}
		provided := false
		for _, o := range owners {
			if closure[o] || base[o] {
				provided = true
			}
		}
		if !provided {
			t.Errorf("%s (needed by %s) comes from %v, which is not in the closure of the runtime packages %v",
				lib, libs[lib], owners, pkgs)
		}
	}
	if !sawVips {
		t.Errorf("ldd of %s shows no libvips: is it built with cgo?", bin)
	}
	t.Logf("%d libraries checked against the closure of %v (%d packages)", len(names), pkgs, len(closure))
}

// lddPaths returns the resolved library paths ldd reports for an object.
func lddPaths(t *testing.T, obj string) []string {
	t.Helper()
	out, err := exec.Command("ldd", obj).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "not a dynamic executable") {
			return nil
		}
		t.Fatalf("ldd %s: %v\n%s", obj, err, out)
	}
	var paths []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "linux-vdso") || strings.HasPrefix(l, "linux-gate") {
			continue
		}
		if strings.Contains(l, "not found") {
			t.Errorf("ldd %s: %s", obj, l)
			continue
		}
		if _, after, ok := strings.Cut(l, "=> "); ok {
			l = after
		}
		if p := strings.Fields(l); len(p) > 0 && strings.HasPrefix(p[0], "/") {
			paths = append(paths, p[0])
		}
	}
	return paths
}

// pathAliases returns the names under which Debian 12 may have registered a
// library: the path as given, its symlink target, and the /lib ↔ /usr/lib
// aliases of both (the usrmerge move is not reflected in dpkg's database).
func pathAliases(path string) []string {
	cands := []string{path}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		cands = append(cands, real)
	}
	for _, c := range append([]string(nil), cands...) {
		switch {
		case strings.HasPrefix(c, "/usr/lib/"):
			cands = append(cands, strings.TrimPrefix(c, "/usr"))
		case strings.HasPrefix(c, "/lib/"), strings.HasPrefix(c, "/lib64/"):
			cands = append(cands, "/usr"+c)
		}
	}
	return cands
}

// dpkgOwners maps each given path to the packages (without :arch) owning it,
// or to nothing. It runs one `dpkg -S` for all aliases of all paths.
func dpkgOwners(paths []string) map[string][]string {
	var all []string
	for _, p := range paths {
		all = append(all, pathAliases(p)...)
	}
	// dpkg -S exits non-zero when some path is unowned but still prints the rest.
	out, _ := exec.Command("dpkg", append([]string{"-S"}, all...)...).Output()
	byAlias := map[string][]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "diversion ") {
			continue
		}
		pk, file, ok := strings.Cut(l, ": /")
		if !ok {
			continue
		}
		for _, p := range strings.Split(pk, ", ") {
			p, _, _ = strings.Cut(p, ":")
			byAlias["/"+file] = append(byAlias["/"+file], p)
		}
	}
	res := map[string][]string{}
	for _, p := range paths {
		for _, a := range pathAliases(p) {
			if o := byAlias[a]; len(o) > 0 {
				res[p] = o
				break
			}
		}
	}
	return res
}

// aptClosure returns the set of packages reachable from pkgs through Depends
// and Pre-Depends (recommends are not installed by the Dockerfile).
func aptClosure(t *testing.T, pkgs []string) map[string]bool {
	t.Helper()
	args := append([]string{"depends", "--recurse", "--no-recommends", "--no-suggests",
		"--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"}, pkgs...)
	out, err := exec.Command("apt-cache", args...).CombinedOutput()
	if err != nil {
		t.Skipf("apt-cache depends failed (run apt-get update?): %v\n%s", err, firstLines(string(out), 5))
	}
	set := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || l[0] == ' ' {
			continue
		}
		set[strings.Trim(strings.TrimSpace(l), "<>")] = true
	}
	for _, p := range pkgs {
		if !set[p] {
			t.Fatalf("apt-cache knows no package %q (run apt-get update?)", p)
		}
	}
	return set
}

// basePackages returns the installed packages that every Debian base image
// has (Essential or Priority: required), as debian:bookworm-slim does.
func basePackages() map[string]bool {
	out, _ := exec.Command("dpkg-query", "-W", "-f", "${Package}\t${Essential}\t${Priority}\n").Output()
	set := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && (f[1] == "yes" || f[2] == "required") {
			set[f[0]] = true
		}
	}
	return set
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}
