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

// TestFlattenEarlyCommutes makes whoever adds a frame step between
// "flatten early" and "flatten" decide whether flattening first still gives
// the same pixels (flattenCommutes in flatten.go).
func TestFlattenEarlyCommutes(t *testing.T) {
	in := false
	for _, s := range framePipeline {
		switch {
		case s.name == "flatten early":
			in = true
		case s.name == "flatten":
			if !in {
				t.Fatalf("flatten runs before flatten early")
			}
			return
		case in && flattenCommutes[s.name] == "":
			t.Errorf("step %q runs between flatten early and flatten: add it to flattenCommutes (or exclude it in flattensEarly)", s.name)
		}
	}
	t.Fatalf("framePipeline has no flatten step")
}
