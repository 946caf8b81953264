package tui

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
)

// The scan step's "Also read" answer reaches the scanner: git history and
// archives are read when ticked, not otherwise; the scan runs to its end
// with the same live progress.
func TestScanRunnerPassesScope(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter) // start the drill
	e, ok := h.m.c.Eng.(*checklist.Engine)
	if !ok {
		t.Fatalf("engine %T", h.m.c.Eng)
	}
	ad, ok := e.Scanner.(*leakscan.Adapter)
	if !ok {
		t.Fatalf("scanner %T", e.Scanner)
	}
	for _, c := range []struct {
		include    string
		hist, arch bool
	}{{"history", true, false}, {"archives", false, true}, {"history,archives", true, true}, {"", false, false}} {
		s := newStepScreen(h.m.c, h.m.c.Eng, checklist.StepScan)
		s.view = h.m.c.Eng.View(checklist.StepScan)
		s.answers = map[string]string{"include": c.include}
		h.m.step, h.m.screen = s, screenStep
		h.run(s.scan.start(s))
		if ad.Options.History != c.hist || ad.Options.Archives != c.arch {
			t.Errorf("include %q: history %v, archives %v", c.include, ad.Options.History, ad.Options.Archives)
		}
		if !s.scan.done || len(s.log) == 0 || !strings.Contains(s.log[len(s.log)-1], "scan finished") {
			t.Errorf("include %q: the scan did not finish: %q", c.include, s.log)
		}
	}
}

// Every "Also read" option is drawn whole at 80×24 and 70×22: the owner
// must see what each one reads (they were cut at "every commi…").
func TestScanScopeOptionsDrawnWhole(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {70, 22}} {
		h := newHarness(t, t.TempDir(), Options{Drill: true}, sz[0], sz[1])
		h.press(h.m.c.Keys.Enter) // start the drill
		s := newStepScreen(h.m.c, h.m.c.Eng, checklist.StepScan)
		s.view = h.m.c.Eng.View(checklist.StepScan)
		s.questions = h.m.c.Eng.Questions(checklist.StepScan)
		h.m.step, h.m.screen = s, screenStep
		h.m.sync()
		s.ask()
		h.m.sync()
		h.press(h.m.c.Keys.Enter) // the folders: as proposed
		sc := h.screen()
		var include *checklist.Question
		for i, q := range s.questions {
			if q.ID == "include" {
				include = &s.questions[i]
			}
		}
		if include == nil || len(include.Options) != 2 {
			t.Fatalf("no include question: %+v", s.questions)
		}
		for _, o := range include.Options {
			if !strings.Contains(sc, o.Label) {
				t.Errorf("%dx%d: option %q not drawn whole:\n%s", sz[0], sz[1], o.Label, sc)
			}
		}
	}
}

// A scan that left something out (here an archive nested deeper than is
// read) does not end on a ✓: the step says it is incomplete and why.
func TestScanIncompleteSaidOnTheStep(t *testing.T) {
	dir := t.TempDir()
	inner := []byte("nothing here\n")
	name := "a.txt"
	for i := range 8 {
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(inner)
		z.Close()
		inner, name = b.Bytes(), fmt.Sprintf("n%d.zip", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "deep.zip"), inner, 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter) // start the drill
	s := newStepScreen(h.m.c, h.m.c.Eng, checklist.StepScan)
	s.view = h.m.c.Eng.View(checklist.StepScan)
	s.answers = map[string]string{"paths": dir, "include": "archives"}
	h.m.step, h.m.screen = s, screenStep
	h.run(s.scan.start(s))
	last := s.log[len(s.log)-1]
	if strings.HasPrefix(last, "✓") || !strings.Contains(last, "INCOMPLETE") || !strings.Contains(last, "nested deeper") {
		t.Errorf("last line %q", last)
	}
}
