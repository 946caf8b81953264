package checklist_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
)

// historyFinding is a key found only in a repository's history: HEAD no
// longer holds it.
func historyFinding(prov, keyID string, public bool) leakscan.Finding {
	f := leakFinding(prov, keyID)
	no := false
	f.File, f.Line, f.Path, f.Commit, f.Ref, f.InHead, f.Public = "/srv/site", 3, "config/mail.php", strings.Repeat("ab", 20), "refs/heads/main", &no, public
	f.AuthorDate = time.Date(2021, 3, 4, 10, 0, 0, 0, time.UTC)
	return f
}

// A key found only in the history still drives the rotation: it is
// matched to the account key, which is revoked first; the finding says
// where in the history it is, that HEAD no longer holds it and, for a
// public repository, that the key is public.
func TestHistoryLeakRevokedFirst(t *testing.T) {
	for _, public := range []bool{false, true} {
		p := &matchingProv{keysProv: keysProv{keys: leakKeys()}}
		e := leakEngine(t, p, historyFinding("fakeprov", "k1", public))
		ctx := context.Background()
		if err := e.TakeInventory(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Scan(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		f := scanFinding(t, e)
		if f.Target.Kind != "key" || f.Target.ID != "k1" || f.Fix != checklist.ActRevokeKey || f.Severity != checklist.High {
			t.Fatalf("history leak not matched to the key: %+v", f)
		}
		for _, s := range []string{"git history", "/srv/site@ababababab", "config/mail.php:3"} {
			if !strings.Contains(f.Title, s) {
				t.Errorf("title %q lacks %q", f.Title, s)
			}
		}
		for _, s := range []string{"Committed 2021-03-04", "refs/heads/main", "HEAD no longer holds it", "revoke it first"} {
			if !strings.Contains(f.Detail, s) {
				t.Errorf("detail %q lacks %q", f.Detail, s)
			}
		}
		if got := strings.Contains(f.Detail, "treat the key as public"); got != public {
			t.Errorf("public %v: detail %q", public, f.Detail)
		}
		acts := e.Plan(checklist.StepRevokeKeys)
		if len(acts) == 0 || acts[0].Target.ID != "k1" || acts[0].Params["leaked"] != "true" {
			t.Fatalf("plan: %+v", acts)
		}
	}
}

// Findings at the same file and line but different commits or paths are
// different findings.
func TestHistoryFindingsDistinct(t *testing.T) {
	a := historyFinding("sendgrid", "", false)
	b := a
	b.Path = ".env"
	fs := checklist.ScanFindings(&leakscan.Report{Findings: []leakscan.Finding{a, b}})
	if len(fs) != 2 || fs[0].ID == fs[1].ID {
		t.Fatalf("findings %+v", fs)
	}
}

// What the owner must know of a key found in the history is in the
// finding's title, which the findings screen and the report show (they
// show no detail): when it was committed, that HEAD no longer holds it,
// and that the repository is public.
func TestHistoryFindingTitleSaysWhenAndPublic(t *testing.T) {
	for _, public := range []bool{false, true} {
		fs := checklist.ScanFindings(&leakscan.Report{Findings: []leakscan.Finding{historyFinding("sendgrid", "", public)}})
		if len(fs) != 1 {
			t.Fatalf("findings %+v", fs)
		}
		title := fs[0].Title
		for _, s := range []string{"git history", "config/mail.php:3", "committed 2021-03-04", "no longer in HEAD"} {
			if !strings.Contains(title, s) {
				t.Errorf("title %q lacks %q", title, s)
			}
		}
		if got := strings.Contains(title, "PUBLIC"); got != public {
			t.Errorf("public %v: title %q", public, title)
		}
	}
}

// The places the rotation asks about ("where did the old key live? tick
// each place you updated with the new key") are where the key is used: a
// commit in the history or a member of a backup cannot be updated with the
// new key, and is no open follow-up of the rotation (the leak finding
// stays, to be dealt with as a leak).
func TestKeyPlacesLeaveOutHistoryAndArchives(t *testing.T) {
	file := leakFinding("fakeprov", "k1")
	hist := historyFinding("fakeprov", "k1", true)
	arch := leakFinding("fakeprov", "k1")
	arch.File, arch.Member, arch.Line = "/srv/www/site-backup.zip", "wp-config.php", 2
	p := &matchingProv{keysProv: keysProv{keys: leakKeys()}}
	e := leakEngine(t, p, file, hist, arch)
	ctx := context.Background()
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Scan(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	var places []string
	for _, q := range e.Questions(checklist.StepVerifyKey) {
		if q.ID == "places_updated" {
			for _, o := range q.Options {
				places = append(places, o.Value)
			}
		}
	}
	if len(places) == 0 || places[0] != "/srv/www/.env" {
		t.Fatalf("places %q: the file the scan found first", places)
	}
	for _, pl := range places {
		if strings.Contains(pl, "@") || strings.Contains(pl, "!/") {
			t.Errorf("a copy in the history or a backup offered as a place to update: %q", pl)
		}
	}
}

// A value found encoded (base64 in a Kubernetes Secret, URL-encoded in a
// DSN) says so where the owner and support read it: a search of the file
// for the key's text finds nothing.
func TestEncodedFindingTitleNamesEncoding(t *testing.T) {
	f := leakFinding("sendgrid", "")
	f.Encoding = "base64"
	fs := checklist.ScanFindings(&leakscan.Report{Findings: []leakscan.Finding{f}})
	if len(fs) != 1 || !strings.Contains(fs[0].Title, "base64-encoded") {
		t.Fatalf("findings %+v", fs)
	}
}

// Only the places of this account's key are offered: not those of another
// provider's credential (a GitHub token in a remote URL, a Mailgun key).
func TestKeyPlacesOnlyThisProvidersKeys(t *testing.T) {
	mine := leakFinding("fakeprov", "k1")
	other := leakFinding("mailgun", "")
	other.File, other.Fingerprint = "/srv/www/mailgun.php", "sha256:"+strings.Repeat("0", 63)+"2"
	remote := leakFinding("git", "")
	remote.File, remote.Kind, remote.Fingerprint = "/srv/www/.git/config", "github_pat_in_remote_url", "sha256:"+strings.Repeat("0", 63)+"3"
	p := &matchingProv{keysProv: keysProv{keys: leakKeys()}}
	e := leakEngine(t, p, mine, other, remote)
	ctx := context.Background()
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Scan(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range e.Questions(checklist.StepVerifyKey) {
		if q.ID != "places_updated" {
			continue
		}
		if q.Options[0].Value != "/srv/www/.env" {
			t.Errorf("first place %q", q.Options[0].Value)
		}
		for _, o := range q.Options {
			if strings.Contains(o.Value, "mailgun.php") || strings.Contains(o.Value, ".git/config") {
				t.Errorf("another credential's file offered as a place of the old key: %q", o.Value)
			}
		}
	}
}
