package checklist_test

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider"

	// every provider package registers its detectors
	_ "reclaim/provider/all"
)

// detectorSamples returns one text holding every registered detector's
// samples and the secrets in it; it fails if a detector has none or does
// not find its own.
func detectorSamples(t *testing.T) (string, []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(14, 2))
	var texts, secrets []string
	providers := map[string]bool{}
	for _, d := range provider.Detectors() {
		ss := d.Samples(r)
		if len(ss) == 0 {
			t.Errorf("detector %s has no samples", d.Name)
		}
		for _, s := range ss {
			found := map[string]bool{}
			for _, m := range d.Run([]byte(s.Text)) {
				found[s.Text[m.Start:m.End]] = true
			}
			for _, sec := range s.Secrets {
				if !found[sec] {
					t.Errorf("detector %s does not find its sample's secret %s in %q", d.Name, checklist.Redact(sec), checklist.Redact(s.Text))
				}
			}
			if len(s.Secrets) == 0 {
				t.Errorf("detector %s: a sample with no secret", d.Name)
			}
			texts, secrets = append(texts, s.Text), append(secrets, s.Secrets...)
		}
		providers[d.Provider] = true
	}
	for _, p := range []string{"sendgrid", "mailjet", "mailgun", "postmark", "brevo", "twilio", "mailchimp", "mandrill"} {
		if !providers[p] {
			t.Errorf("no detector registered for %s", p)
		}
	}
	return strings.Join(texts, "\n") + "\n", secrets
}

func TestScrubSecretsRemovesEveryDetectorSample(t *testing.T) {
	text, secrets := detectorSamples(t)
	out := checklist.ScrubSecrets(text)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("ScrubSecrets left %s", checklist.Redact(s))
		}
	}
	if !strings.Contains(out, "MAILGUN_SECRET=key-") || !strings.Contains(out, "…") {
		t.Errorf("the text around the keys is lost or nothing was masked: %.200q", out)
	}
	if s := "plain note, no key: rotated at 10:04, see ticket 4411"; checklist.ScrubSecrets(s) != s {
		t.Errorf("text with no credential changed: %q", checklist.ScrubSecrets(s))
	}
}

// TestNoDetectorSampleOnDisk types every detector's samples into every
// free-text field an owner fills in a drill (text answers, notes on every
// step, skip reasons, sign-off, root cause), then reads every file under the
// state folder and the report renderings: no secret may be in any of them.
func TestNoDetectorSampleOnDisk(t *testing.T) {
	text, secrets := detectorSamples(t)
	typed := func(what string) string { return what + ": " + text }
	for _, mode := range []string{"complete", "skip"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			e, _, _ := newDrill(t, dir)
			ctx := context.Background()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			fields := 0
			must(e.Note(checklist.StepTriage, typed("note action"), typed("note detail")))
			for guard := 0; guard < 200; guard++ {
				id := e.Next()
				if id == "" {
					break
				}
				must(e.SetCursor(id))
				must(e.Refresh(ctx, id))
				must(e.Note(id, typed("note on "+string(id)), typed("detail")))
				fields += 2
				if mode == "skip" {
					if err := e.Skip(id, typed("skipped because")); err == nil {
						fields++
						continue
					}
				}
				answers, inputs := map[string]string{}, map[string]string{}
				for _, q := range e.Questions(id) {
					switch {
					case q.Kind == checklist.QSecret && q.ID == "old":
						v := e.DrillAnswer(id, "old")
						inputs[q.ID], answers[q.ID] = v, v
					case q.Kind == checklist.QSecret:
						inputs[q.ID], answers[q.ID] = "New-Planted-Passw0rd-2b8e1d", "New-Planted-Passw0rd-2b8e1d"
					case q.Kind == checklist.QText && q.ID != "paths":
						// (the scan's folders are paths, read before saving)
						answers[q.ID] = typed(q.ID)
						fields++
					default:
						answers[q.ID] = scripted(e, id, q)
					}
				}
				must(e.Answer(id, answers))
				for _, act := range e.Plan(id) {
					if act.Recommended {
						// a field that must be an address list or a
						// path refuses the text; the step is then skipped
						_, _ = e.Apply(ctx, id, act, inputs)
					}
				}
				if err := e.Complete(id, answers); err != nil {
					must(e.Skip(id, typed("could not complete")))
				}
			}
			if fields < 20 {
				t.Fatalf("only %d fields typed into", fields)
			}
			r, err := e.Close(ctx)
			must(err)
			js, err := r.JSON()
			must(err)
			h, err := r.HTML()
			must(err)
			outputs := map[string]string{"markdown": r.Markdown(), "json": string(js), "html": string(h)}
			must(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				outputs[path] = string(b)
				return err
			}))
			if len(outputs) < 6 {
				t.Fatalf("expected the state files and the reports, got %d outputs", len(outputs))
			}
			for name, out := range outputs {
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s holds the typed secret %s", filepath.Base(name), checklist.Redact(s))
					}
				}
			}
			// what was typed is there, masked: the check above saw it
			if !strings.Contains(outputs["markdown"], "MAILGUN_SECRET=key-") {
				t.Error("the typed text is not in the report at all: the test checked nothing")
			}
		})
	}
}

// BenchmarkScrubSecrets: a report-sized text with no key (the common case,
// run on every save and rendering) and the same with every sample in it.
func BenchmarkScrubSecrets(b *testing.B) {
	golden, err := os.ReadFile("testdata/report-drill.golden.md")
	if err != nil {
		b.Fatal(err)
	}
	text, _ := detectorSamples(&testing.T{})
	for _, c := range []struct{ name, s string }{{"clean", string(golden)}, {"samples", string(golden) + text}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				checklist.ScrubSecrets(c.s)
			}
		})
	}
}
