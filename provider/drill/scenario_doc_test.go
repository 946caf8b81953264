package drill_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"reclaim/provider/drill"
)

// docs/scenarios.md documents every kind and step id, and its example is a
// valid scenario.
func TestScenarioDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var names []string
	names = append(names, drill.CheckKinds()...)
	names = append(names, drill.InjectKinds...)
	names = append(names, drill.StepIDs...)
	names = append(names, drill.Scenarios()...)
	for k := range drill.RiskKinds {
		names = append(names, k)
	}
	for _, n := range names {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("docs/scenarios.md does not name `%s`", n)
		}
	}
	m := regexp.MustCompile("(?s)## Example\n\n```yaml\n(.*?)```").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("no example in docs/scenarios.md")
	}
	if _, err := drill.ParseScenario("docs example", []byte(m[1])); err != nil {
		t.Errorf("the documented example is not valid:\n%v", err)
	}
}
