package checklist_test

import (
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider"
)

// The passwords below are made up for the tests. Failure messages name the
// case, never the password.

var testAccount = &provider.Account{Username: "acme-mail", Email: "ops-team@acme.example", Company: "Acme Widgets Ltd"}

const strongPassphrase = "velvet-otter-granite-lantern"

func TestCheckPasswordRefusals(t *testing.T) {
	words := checklist.AccountPasswordWords(testAccount)
	for _, tc := range []struct {
		name, pw, confirm, old string
		want                   string // part of the expected message
	}{
		{"empty", "", "", "", "type a new password"},
		{"no confirmation", strongPassphrase, "", "", "a second time"},
		{"confirmation differs", strongPassphrase, strongPassphrase + "x", "", "the two entries differ: type the new password twice"},
		{"confirmation differs in case", strongPassphrase, strings.ToUpper(strongPassphrase), "", "the two entries differ"},
		{"too short", "Xq7#vLp2!", "Xq7#vLp2!", "", "at least 12 characters"},
		{"old password", "Old-Leaked-Passw0rd-9", "Old-Leaked-Passw0rd-9", "Old-Leaked-Passw0rd-9", "differ from the old"},
		{"old password with additions", "Summer2019!Acme-2", "Summer2019!Acme-2", "summer-2019", "contains the old"},
		{"username", "Velvet-ACME_MAIL-otter-77", "Velvet-ACME_MAIL-otter-77", "", `contains "acme-mail"`},
		{"username, separators moved", "granite acmem-ail lantern", "granite acmem-ail lantern", "", `contains "acme-mail"`},
		{"email", "xx-ops-team@acme.example-77", "xx-ops-team@acme.example-77", "", `contains "ops-team@acme.example"`},
		{"email local part", "Granite OpsTeam Lantern 9", "Granite OpsTeam Lantern 9", "", `contains "ops-team"`},
		{"company", "acme widgets ltd rocks 2024", "acme widgets ltd rocks 2024", "", `contains "Acme Widgets Ltd"`},
		{"company word", "otter-WIDGETS-granite-lantern", "otter-WIDGETS-granite-lantern", "", `contains "Widgets"`},
		{"weak: password12345", "password12345", "password12345", "", "too easy to guess"},
		{"weak: keyboard walk", "qwertyuiop12", "qwertyuiop12", "", "too easy to guess"},
		{"weak: repeated pattern", strings.Repeat("ab1!", 60), strings.Repeat("ab1!", 60), "", "too easy to guess"},
		{"one character class", "alllowercaseletters", "alllowercaseletters", "", "mix letters"},
	} {
		msg := checklist.CheckPassword(tc.pw, checklist.PasswordContext{Old: tc.old, Confirm: tc.confirm, Words: words})
		if msg == "" {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: message %q does not say %q", tc.name, msg, tc.want)
		}
		if tc.pw != "" && strings.Contains(msg, tc.pw) {
			t.Errorf("%s: the message repeats the password", tc.name)
		}
	}
}

func TestCheckPasswordWeakSaysHowFast(t *testing.T) {
	msg := checklist.CheckPassword("password12345", checklist.PasswordContext{Confirm: "password12345"})
	if !strings.Contains(msg, "by an offline attacker") || !strings.Contains(msg, "strength ") {
		t.Errorf("the weak-password message gives no estimate: %q", msg)
	}
}

func TestCheckPasswordContextCountsAgainstStrength(t *testing.T) {
	// Without the account details this one is acceptable; with them it is
	// refused, whichever rule catches it.
	pw := "Acme Widgets Ltd ops 2024!"
	if msg := checklist.CheckPassword(pw, checklist.PasswordContext{Confirm: pw}); msg != "" {
		t.Fatalf("refused without context: %q", msg)
	}
	if checklist.CheckPassword(pw, checklist.PasswordContext{Confirm: pw, Words: checklist.AccountPasswordWords(testAccount)}) == "" {
		t.Error("a password made of the company name was accepted")
	}
}

func TestCheckPasswordAccepts(t *testing.T) {
	words := checklist.AccountPasswordWords(testAccount)
	long := strings.Repeat("velvet otter granite lantern harbour quince ", 12) // bounded scoring
	for name, pw := range map[string]string{
		"passphrase":          strongPassphrase,
		"generated":           "r7#Vq2!mZp9@Lx4w",
		"long passphrase":     long,
		"short context words": "bob-velvet-otter-granite", // "bob" is under 4 characters
	} {
		pc := checklist.PasswordContext{Old: "Summer2019!", Confirm: pw, Words: append(words, "bob")}
		if msg := checklist.CheckPassword(pw, pc); msg != "" {
			t.Errorf("%s: refused: %q", name, msg)
		}
	}
}

func TestPasswordProblemWrapper(t *testing.T) {
	if msg := checklist.PasswordProblem(strongPassphrase, ""); msg != "" {
		t.Errorf("strong passphrase refused without an old password: %q", msg)
	}
	if checklist.PasswordProblem(strongPassphrase, strongPassphrase) == "" {
		t.Error("the old password was accepted")
	}
	if checklist.PasswordProblem("qwertyuiop12", "") == "" {
		t.Error("a keyboard walk was accepted")
	}
}

func TestAccountPasswordWords(t *testing.T) {
	got := strings.Join(checklist.AccountPasswordWords(testAccount), "|")
	want := "acme-mail|ops-team@acme.example|ops-team|Acme Widgets Ltd|Acme|Widgets"
	if got != want {
		t.Errorf("words = %q, want %q", got, want)
	}
	if checklist.AccountPasswordWords(nil) != nil {
		t.Error("nil account gave words")
	}
}
