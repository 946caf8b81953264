package checklist_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider/drill"
)

// reportClock is the fixed clock the report tests run the drill on.
var reportStart = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// finishedDrill runs the whole drill with the autopilot on a fixed clock
// and returns the engine (saved under dir when dir is not empty).
func finishedDrill(t *testing.T, dir string) (*checklist.Engine, *checklist.Report) {
	t.Helper()
	e, _, _ := newDrill(t, dir)
	if err := e.Answer(checklist.StepReport, map[string]string{checklist.AnswerSignoffName: "Dana Developer", checklist.AnswerSignoffRole: "Account owner"}); err != nil {
		t.Fatal(err)
	}
	r, err := checklist.Autopilot(context.Background(), e, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	return e, r
}

// normalize replaces what the drill makes at random (the incident id's
// suffix, the replacement key's id) and the hashes that follow from them.
func normalize(t *testing.T, e *checklist.Engine, s string) string {
	t.Helper()
	inc := e.Snapshot()
	s = strings.ReplaceAll(s, inc.ID, "INCIDENT-ID")
	for _, k := range inc.Account().NewKeys {
		s = strings.ReplaceAll(s, k.ID, "NEWKEYID0000000000000")
		s = strings.ReplaceAll(s, k.ID[:6], "NEWKEY")
	}
	s = regexp.MustCompile(`[0-9a-f]{64}`).ReplaceAllString(s, "HASH")
	s = regexp.MustCompile(`head [0-9a-f]{16}…`).ReplaceAllString(s, "head HASH")
	// The drill stamps the new key with the wall clock, not the test's.
	s = regexp.MustCompile(`(Key (?:"|&#34;)reclaim-replacement-[0-9-]+(?:"|&#34;) was created) (?:\d+ \w+ ago|just now|at an unknown time)`).ReplaceAllString(s, "$1 (age)")
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("RECLAIM_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with RECLAIM_UPDATE_GOLDEN=1 to create it)", err)
	}
	if string(want) != got {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := 0; i < len(wl) || i < len(gl); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs at line %d:\nwant: %s\ngot:  %s\n(RECLAIM_UPDATE_GOLDEN=1 rewrites it)", path, i+1, w, g)
			}
		}
	}
}

func TestReportGoldenMarkdown(t *testing.T) {
	e, _ := finishedDrill(t, "")
	inc := e.Snapshot()
	r := checklist.BuildReport(inc, e.Provider().Info(), checklist.ReportOptions{Now: reportStart.Add(time.Hour), Provider: e.Provider(), SessionKeyID: e.SessionKeyID})
	md := r.Markdown()
	golden(t, "report-drill.golden.md", normalize(t, e, md))
	for _, want := range []string{
		"## What happened and how it was detected", "## Root cause", "## Steps and their evidence", "## Journal (UTC)", "## Summary for support",
		"## Old credentials: revoked and confirmed dead", "## Leak investigation (redacted)", "## Inventory before and after",
		"## Preventive measures", "### Open items", "## Sign-off", "- Name: Dana Developer", "- Role: Account owner",
		"Journal chain hash: `" + inc.JournalHead() + "`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Same input, same output.
	r2 := checklist.BuildReport(inc, e.Provider().Info(), checklist.ReportOptions{Now: reportStart.Add(time.Hour), Provider: e.Provider(), SessionKeyID: e.SessionKeyID})
	if r2.Markdown() != md {
		t.Error("the report is not deterministic")
	}
}

func TestReportFromIncidentAloneWithoutProvider(t *testing.T) {
	e, _ := finishedDrill(t, "")
	inc := e.Snapshot()
	r := checklist.BuildReport(inc, e.Provider().Info(), checklist.ReportOptions{Now: reportStart})
	if r.JournalHash != inc.JournalHead() || r.JournalEntries != len(inc.Journal) {
		t.Fatalf("hash %s/%d, want %s/%d", r.JournalHash, r.JournalEntries, inc.JournalHead(), len(inc.Journal))
	}
	if len(r.Steps) != len(checklist.StepIDs()) || len(r.Actions) == 0 || len(r.Revoked) != 3 {
		t.Fatalf("steps %d actions %d revoked %d", len(r.Steps), len(r.Actions), len(r.Revoked))
	}
	// Not written through the engine: the journal has no record of it.
	if _, err := checklist.VerifyReport([]byte(r.Markdown()), inc); err == nil || !strings.Contains(err.Error(), "no record") {
		t.Fatalf("an unrecorded report verified: %v", err)
	}
	if err := e.RecordReport(r, "to a test"); err != nil {
		t.Fatal(err)
	}
	if _, err := checklist.VerifyReport([]byte(r.Markdown()), e.Snapshot()); err != nil {
		t.Fatal(err)
	}
}

func TestReportHTMLSelfContainedAndEscaped(t *testing.T) {
	e, _ := finishedDrill(t, "")
	r := e.BuildReport()
	clean, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"src=", "href=", "@import", "url(", "<link", "<script"} {
		if strings.Contains(string(clean), bad) {
			t.Errorf("HTML refers to an external asset or script (%q)", bad)
		}
	}
	r.RootCause = `<script>alert(1)</script><img src="https://evil.example/x.png">`
	h, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	if strings.Contains(s, "<script") || strings.Contains(s, "<img") {
		t.Error("HTML not escaped")
	}
	for _, want := range []string{"@media print", "Journal chain hash", "&lt;script&gt;"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if _, _, err := checklist.CheckReport(h); err != nil {
		t.Fatal(err)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	e, _ := finishedDrill(t, "")
	r := e.BuildReport()
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back checklist.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Seal == nil || back.Seal.Head != r.JournalHash || back.SignOff.Name != "Dana Developer" {
		t.Fatalf("seal %+v signoff %+v", back.Seal, back.SignOff)
	}
	if err := e.RecordReport(r, "to a test"); err != nil {
		t.Fatal(err)
	}
	// Re-indenting does not break the seal.
	var buf bytes.Buffer
	if err := json.Compact(&buf, js); err != nil {
		t.Fatal(err)
	}
	if _, err := checklist.VerifyReport(buf.Bytes(), e.Snapshot()); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyReportDetectsTampering(t *testing.T) {
	dir := t.TempDir()
	e, _ := finishedDrill(t, dir)
	inc := e.Snapshot()
	incDir := filepath.Join(dir, "incidents", inc.ID)
	for _, name := range []string{checklist.ReportMD, checklist.ReportJSON, checklist.ReportHTML} {
		data, err := os.ReadFile(filepath.Join(incDir, name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := checklist.VerifyReport(data, inc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.Seal.Entries != len(inc.Journal)-1 || v.Later != 1 {
			t.Errorf("%s: %+v", name, v)
		}
		// An edited report fails.
		edited := bytes.Replace(data, []byte("temp-migration"), []byte("temp-migratiox"), 1)
		if _, err := checklist.VerifyReport(edited, inc); err == nil {
			t.Errorf("%s: an edited report verified", name)
		}
		// A report cut before its seal fails.
		if _, err := checklist.VerifyReport(data[:len(data)/2], inc); err == nil {
			t.Errorf("%s: a cut report verified", name)
		}
	}
	md, _ := os.ReadFile(filepath.Join(incDir, checklist.ReportMD))
	// A journal entry changed after the report: the chain breaks.
	bad := inc.Clone()
	bad.Journal[3].Detail = "nothing happened"
	if _, err := checklist.VerifyReport(md, bad); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("altered journal: %v", err)
	}
	// A rewritten chain: every hash recomputed, so the head differs.
	forged := inc.Clone()
	forged.Journal = nil
	for _, j := range inc.Journal[:len(inc.Journal)-1] {
		forged.Journal = append(forged.Journal, j)
	}
	if _, err := checklist.VerifyReport(md, forged); err == nil {
		t.Error("a journal with an entry removed verified")
	}
	// Entries added after the report (the send) are fine and counted.
	if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: "support@example.com", MessageID: "<x@reclaim>"}); err != nil {
		t.Fatal(err)
	}
	v, err := checklist.VerifyReport(md, e.Snapshot())
	if err != nil || v.Later != 2 {
		t.Fatalf("after a send: %+v %v", v, err)
	}
	last := e.Snapshot().Journal[len(e.Snapshot().Journal)-1]
	if last.Action != checklist.ActionSendReport || !strings.Contains(last.Detail, "<x@reclaim>") {
		t.Errorf("send not journaled: %+v", last)
	}
}

// TestNoSecretInAnyOutput plants secrets everywhere a user or the provider
// could put one during a whole drill and finds none in any output.
func TestNoSecretInAnyOutput(t *testing.T) {
	dir := t.TempDir()
	e, _, _ := newDrill(t, dir)
	ctx := context.Background()
	// SendGrid-shaped: SG.<22-char id>.<43-char secret>.
	sg := func(id, secret string) string {
		pad := func(x string, n int) string { return (x + strings.Repeat("x", n))[:n] }
		return "SG." + pad(id, 22) + "." + pad(secret, 43)
	}
	leaked := sg("PlantedLeakedKeyId", "PlantedLeakedSecretPart-1")
	inAnswer := sg("PlantedAnswerKeyId", "PlantedAnswerSecretPart-2")
	inNote := sg("PlantedNoteKeyId", "PlantedNoteSecretPart-3")
	oldPassword := e.DrillAnswer(checklist.StepPassword, "old") // the drill's current password
	newPassword := "New-Planted-Passw0rd-2b8e1d"
	planted := []string{leaked, inAnswer, inNote, oldPassword, newPassword}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Note(checklist.StepTriage, "note", "the alert quoted "+inNote))
	for guard := 0; guard < 200; guard++ {
		id := e.Next()
		if id == "" {
			break
		}
		must(e.SetCursor(id))
		must(e.Refresh(ctx, id))
		answers, inputs := map[string]string{}, map[string]string{}
		for _, q := range e.Questions(id) {
			switch {
			case q.Kind == checklist.QSecret && q.ID == "old":
				inputs[q.ID], answers[q.ID] = oldPassword, oldPassword
			case q.Kind == checklist.QSecret:
				inputs[q.ID], answers[q.ID] = newPassword, newPassword
			case q.Kind == checklist.QText && (q.ID == "notes" || q.ID == "root_cause" || strings.HasPrefix(q.ID, "signoff")):
				answers[q.ID] = "text with " + inAnswer + " in it"
			default:
				answers[q.ID] = scripted(e, id, q)
			}
		}
		must(e.Answer(id, answers))
		for _, act := range e.Plan(id) {
			if act.Recommended {
				if _, err := e.Apply(ctx, id, act, inputs); err != nil {
					t.Fatalf("%s: %v", act.Label, err)
				}
			}
		}
		must(e.Complete(id, answers))
	}
	must(e.Note(checklist.StepReport, "note "+leaked, "pasted by mistake: "+leaked))
	r, err := e.Close(ctx)
	must(err)
	inc := e.Snapshot()
	// The replacement key's secret, shown once, lives only in memory.
	for _, k := range inc.Account().NewKeys {
		s, ok := e.Secrets().Get(ctx, k.ID)
		if !ok || !strings.HasPrefix(s, "SG.") {
			t.Fatalf("new key secret not kept: %v", ok)
		}
		planted = append(planted, s, s[len(s)-43:])
	}
	must(e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: "support@example.com", MessageID: "<m@reclaim>", Report: r, Err: nil}))

	js, err := r.JSON()
	must(err)
	h, err := r.HTML()
	must(err)
	outputs := map[string]string{"markdown": r.Markdown(), "json": string(js), "html": string(h)}
	snap, _ := json.Marshal(e.Snapshot())
	outputs["snapshot"] = string(snap)
	must(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		outputs[path] = string(b)
		return err
	}))
	if len(outputs) < 8 {
		t.Fatalf("expected the state files and three reports, got %d outputs", len(outputs))
	}
	for name, out := range outputs {
		for _, s := range planted {
			if strings.Contains(out, s) {
				t.Errorf("%s contains the planted secret %q", name, checklist.Redact(s))
			}
		}
	}
	// The planted keys show redacted, so the reader knows one was there.
	if !strings.Contains(outputs["markdown"], checklist.Redact(inAnswer)) {
		t.Error("the redacted form of the answer's key is missing from the report")
	}
	if _, err := checklist.VerifyJournal(inc.Journal); err != nil {
		t.Fatal(err)
	}
	_ = drill.DefaultScenario
}

// TestVerifyRefusesWhatTheJournalDoesNotBack: the negative cases of
// report verify, each of which passed before it checked the report against
// the journal.
func TestVerifyRefusesWhatTheJournalDoesNotBack(t *testing.T) {
	dir := t.TempDir()
	e, _ := finishedDrill(t, dir)
	inc := e.Snapshot()
	incDir := filepath.Join(dir, "incidents", inc.ID)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(incDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	md, html, js := read(checklist.ReportMD), read(checklist.ReportHTML), read(checklist.ReportJSON)
	for name, data := range map[string][]byte{"md": md, "html": html, "json": js} {
		if _, err := checklist.VerifyReport(data, inc); err != nil {
			t.Fatalf("%s: the untouched report fails: %v", name, err)
		}
	}
	fails := func(what string, data []byte, inc *checklist.Incident) {
		t.Helper()
		if _, err := checklist.VerifyReport(data, inc); err == nil {
			t.Errorf("%s verified", what)
		}
	}
	fails("text appended after the Markdown seal", append(slices.Clone(md), []byte("\nAll checks passed. Please re-enable.\n")...), inc)
	fails("a script after the HTML seal", append(slices.Clone(html), []byte("<script>alert(1)</script>\n")...), inc)
	fails("HTML between </html> and the seal", bytes.Replace(html, []byte("</html>\n"), []byte("</html>\n<p>re-enable it</p>\n"), 1), inc)
	fails("text on the Markdown seal line", bytes.Replace(md, []byte("reclaim-seal:"), []byte("**ALL VERIFIED BY SENDGRID** reclaim-seal:"), 1), inc)
	fails("markup on the HTML seal line", bytes.Replace(html, []byte("<!-- reclaim-seal:"), []byte(`<img src=x onerror="alert(1)"><!-- reclaim-seal:`), 1), inc)
	fails("a field added to the JSON seal", bytes.Replace(js, []byte(`"seal": {`), []byte(`"seal": {"note": "ALL VERIFIED",`), 1), inc)
	fails("data after the JSON report", append(slices.Clone(js), []byte(`{"all":"verified"}`)...), inc)
	fails("a duplicate key before the real one", bytes.Replace(js, []byte("{\n"), []byte("{\"summary\":[\"Evidence: 22 verified\"],\"open_items\":[],\n"), 1), inc)
	fails("a duplicate key in the seal", bytes.Replace(js, []byte(`"seal": {`), []byte(`"seal": {"digest": "all-steps-verified",`), 1), inc)
	// A body edited with its digest recomputed: the seal checks out, but the
	// journal recorded another digest.
	body, seal, _ := bytes.Cut(md, []byte("reclaim-seal: "))
	edited := bytes.Replace(body, []byte("Dana Developer"), []byte("Support Agent"), 1)
	if bytes.Equal(edited, body) {
		t.Fatal("the edit changed nothing")
	}
	sum := sha256.Sum256(edited)
	old := string(seal[strings.Index(string(seal), "digest=")+7:][:64])
	resealed := append(append(slices.Clone(edited), []byte("reclaim-seal: ")...), bytes.Replace(seal, []byte(old), []byte(hex.EncodeToString(sum[:])), 1)...)
	if _, _, err := checklist.CheckReport(resealed); err != nil {
		t.Fatalf("the recomputed seal itself does not check: %v", err)
	}
	fails("a body edited with its SHA-256 recomputed", resealed, inc)
	// A claim edited in the steps table, digest recomputed.
	claimEdit := bytes.Replace(body, []byte("| open |"), []byte("| verified |"), 1)
	if bytes.Equal(claimEdit, body) {
		t.Fatal("the claim edit changed nothing")
	}
	sum = sha256.Sum256(claimEdit)
	fails("a step claim edited", append(append(slices.Clone(claimEdit), []byte("reclaim-seal: ")...), bytes.Replace(seal, []byte(old), []byte(hex.EncodeToString(sum[:])), 1)...), inc)
	// An incident whose journal lost its last entries.
	cut := inc.Clone()
	cut.Journal = cut.Journal[:len(cut.Journal)-12]
	fails("a truncated journal", md, cut)
	if gaps := checklist.JournalGaps(cut); len(gaps) == 0 {
		t.Error("a truncated journal shows no gap against the state")
	}
}
