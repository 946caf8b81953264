package checklist_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider/drill"
)

func newDrill(t *testing.T, dir string) (*checklist.Engine, *drill.Account, *checklist.Handle) {
	t.Helper()
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	acct := drill.New(sc, now)
	inc := checklist.NewIncident(now, sc.Title, acct, true, sc.ID)
	var h *checklist.Handle
	if dir != "" {
		st := &checklist.Store{Dir: dir}
		snap, _ := acct.Snapshot()
		h, err = st.Create(inc, snap)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
	}
	e := checklist.NewEngine(inc, h, acct, nil)
	clock := now
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	return e, acct, h
}

func TestAutopilotFinishesDrill(t *testing.T) {
	dir := t.TempDir()
	e, acct, _ := newDrill(t, dir)
	var lines []string
	r, err := checklist.Autopilot(context.Background(), e, func(s string) { lines = append(lines, s) })
	if err != nil {
		t.Fatalf("autopilot: %v\n%s", err, strings.Join(lines, "\n"))
	}
	t.Log("\n" + strings.Join(lines, "\n"))
	if !e.Finished() {
		t.Fatalf("not finished; next %s", e.Next())
	}
	keys, _ := acct.ListKeys(context.Background())
	for _, k := range keys {
		switch k.ID {
		case "Pz7Kd2MvXc4Bn6Qw8Ty0Ua", "Zx8Cv6Bn4Ma2Sd0Fg9Hj7K", "Lk1Jh3Gf5Ds7Aq9Wz2Xc4V":
			t.Errorf("key %s (%s) should have been revoked", k.ID, k.Name)
		}
	}
	tm, _ := acct.ListTeammates(context.Background())
	for _, x := range tm {
		if x.Username == "support-desk" || x.Pending {
			t.Errorf("teammate %+v should be gone", x)
		}
	}
	hooks, _ := acct.ListWebhooks(context.Background())
	if len(hooks) != 1 {
		t.Errorf("webhooks left: %+v", hooks)
	}
	md := r.Markdown()
	for _, want := range []string{"Revoke key", "temp-migration", "Journal chain hash", "Inventory before and after"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(e.ReportPath())); err != nil {
		t.Error(err)
	}
	if _, err := checklist.VerifyJournal(e.Snapshot().Journal); err != nil {
		t.Error(err)
	}
}
