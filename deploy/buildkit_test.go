package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// TestDockerfileBuildKit parses the Dockerfile with BuildKit's own parser
// and instruction decoder (what `docker build` runs first), with its linter
// on: any syntax error or lint warning fails.
func TestDockerfileBuildKit(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("BuildKit parser: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("BuildKit parser warning: %s %q", w.Short, w.Detail)
	}
	var lint []string
	l := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		lint = append(lint, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
	}})
	stages, _, err := instructions.Parse(res.AST, l)
	if err != nil {
		t.Fatalf("BuildKit instructions: %v", err)
	}
	for _, w := range lint {
		t.Errorf("BuildKit lint: %s", w)
	}
	if len(stages) != 2 {
		t.Fatalf("got %d stages; want 2", len(stages))
	}
	rt := stages[1]
	var hc *instructions.HealthCheckCommand
	var user string
	for _, c := range rt.Commands {
		switch c := c.(type) {
		case *instructions.HealthCheckCommand:
			hc = c
		case *instructions.UserCommand:
			user = c.User
		}
	}
	if hc == nil || strings.Join(hc.Health.Test, " ") != "CMD /usr/local/bin/imgedge health" {
		t.Errorf("HEALTHCHECK: got %+v; want CMD /usr/local/bin/imgedge health", hc)
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER: got %q; want a non-root user", user)
	}
}
