package checklist_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFilingStandsAlone: checklist/filing and checklist/leakscan do not
// import checklist (issue 14 item 5). Their glue lives in checklist: the
// report's mail envelope in report_mail.go, the scan's findings and leak
// matching in scan_findings.go.
func TestFilingStandsAlone(t *testing.T) {
	for _, pkg := range []string{"filing", "leakscan"} {
		files, _ := filepath.Glob(filepath.Join(pkg, "*.go"))
		n := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, im := range af.Imports {
				if p, _ := strconv.Unquote(im.Path.Value); p == "reclaim/checklist" {
					t.Errorf("%s imports reclaim/checklist", f)
				}
			}
		}
		if n == 0 {
			t.Fatalf("no Go files in checklist/%s", pkg)
		}
	}
}
