package vips

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPipelineMatchesDocs keeps docs/processing.md and the step lists in
// step: each list's names, in order, are the first column of its table.
func TestPipelineMatchesDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/processing.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][]step{
		"## 3. The main steps":        mainPipeline,
		"## 4. The frame steps":       framePipeline,
		"## 5. Finalising and saving": finalizePipeline,
	}
	row := regexp.MustCompile(`(?m)^\| ([a-z][a-z ]*[a-z]) \|`)
	for heading, steps := range tables {
		i := strings.Index(string(doc), heading)
		if i < 0 {
			t.Fatalf("docs/processing.md has no %q", heading)
		}
		section := string(doc[i+len(heading):])
		if j := strings.Index(section, "\n## "); j >= 0 {
			section = section[:j]
		}
		var documented []string
		for _, m := range row.FindAllStringSubmatch(section, -1) {
			if m[1] != "save" { // saving follows the list
				documented = append(documented, m[1])
			}
		}
		var names []string
		for _, s := range steps {
			names = append(names, s.name)
		}
		if !slices.Equal(names, documented) {
			t.Errorf("%s: code runs %q; docs/processing.md lists %q", heading, names, documented)
		}
	}
}
