package checklist

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/trustelem/zxcvbn"

	"reclaim/provider"
)

// MinPasswordLen is the shortest new password accepted, in characters.
const MinPasswordLen = 12

// MinPasswordScore is the lowest zxcvbn score (0-4) accepted: 3 is
// "safely unguessable" against an offline attacker of a slow hash.
const MinPasswordScore = 3

// maxScoredRunes bounds what zxcvbn looks at: its matching is superlinear in
// the length (seconds for a few hundred characters), and a password strong in
// its first 100 characters is strong.
const maxScoredRunes = 100

// offlineGuessesPerSecond is the attacker zxcvbn's score assumes: offline,
// against a salted slow hash (bcrypt, scrypt, PBKDF2).
const offlineGuessesPerSecond = 1e4

// PasswordContext is what a new password is judged against besides itself.
// It holds secrets (Old, Confirm): keep it on the stack of one call and never
// log, store or print it.
type PasswordContext struct {
	// Old is the current (leaked) password, when the user typed it.
	Old string
	// Confirm is the second entry of the new password.
	Confirm string
	// Words are account details an attacker knows or guesses first:
	// username, email, company (see AccountPasswordWords). An email also
	// counts by its local part.
	Words []string
}

// CheckPassword returns "" when newPW is acceptable as the account's new
// password, otherwise one actionable sentence saying why not. The sentence
// never contains the password. The breach-list check is separate
// (CheckPwned): it needs the network.
func CheckPassword(newPW string, pc PasswordContext) string {
	if newPW == "" {
		return "type a new password"
	}
	if pc.Confirm == "" {
		return "type the new password a second time to confirm it"
	}
	if newPW != pc.Confirm {
		return "the two entries differ: type the new password twice"
	}
	return passwordStrengthProblem(newPW, pc.Old, pc.Words)
}

// PasswordProblem returns why a new password is unacceptable, or "". It is
// CheckPassword without a confirmation entry or account details (the UI's
// field validation calls it while the user types); oldPW may be empty.
func PasswordProblem(newPW, oldPW string) string {
	if newPW == "" {
		return "type a new password"
	}
	return passwordStrengthProblem(newPW, oldPW, nil)
}

// AccountPasswordWords lists the account details a new password must not
// contain: the username, the email and its local part, the company and each
// distinctive word of its name (4+ characters; "Ltd", "Inc" and the like are
// left out). Empty fields are skipped.
func AccountPasswordWords(a *provider.Account) []string {
	if a == nil {
		return nil
	}
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" {
			out = append(out, s)
		}
	}
	add(a.Username)
	add(a.Email)
	if local, _, ok := strings.Cut(a.Email, "@"); ok {
		add(local)
	}
	add(a.Company)
	for _, w := range strings.FieldsFunc(a.Company, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) >= 4 && !genericCompanyWords[strings.ToLower(w)] {
			add(w)
		}
	}
	return out
}

// genericCompanyWords are parts of company names too common to refuse.
var genericCompanyWords = map[string]bool{
	"limited": true, "company": true, "corporation": true, "corp": true, "group": true,
	"holding": true, "holdings": true, "gmbh": true, "sarl": true, "the": true,
	"international": true, "services": true, "solutions": true, "technologies": true,
}

// passwordStrengthProblem applies the rules that need no confirmation entry.
func passwordStrengthProblem(newPW, oldPW string, words []string) string {
	n := len([]rune(newPW))
	if n < MinPasswordLen {
		return fmt.Sprintf("use at least %d characters (a passphrase of four or more words is easiest)", MinPasswordLen)
	}
	if oldPW != "" {
		if newPW == oldPW {
			return "the new password must differ from the old (leaked) one"
		}
		if o := normalizeForMatch(oldPW); len([]rune(o)) >= 4 && strings.Contains(normalizeForMatch(newPW), o) {
			return "the new password contains the old (leaked) one: attackers try such variants first, so choose an unrelated one"
		}
	}
	norm := normalizeForMatch(newPW)
	for _, w := range contextWords(words) {
		if len([]rune(w.norm)) >= 4 && strings.Contains(norm, w.norm) {
			return fmt.Sprintf("the new password contains %q from the account's details (username, email or company): attackers try those first, so leave them out", provider.SanitizeN(w.shown, 60))
		}
	}
	if singleClass(newPW) && n < 20 {
		return "mix letters with digits or symbols, or use a longer passphrase (20+ characters)"
	}
	score, guesses := passwordScore(newPW, oldPW, words)
	if score < MinPasswordScore {
		return fmt.Sprintf("too easy to guess: %s (strength %d of 4, %d needed); use four or more unrelated words, or a password manager's generator",
			crackTimePhrase(guesses), score, MinPasswordScore)
	}
	return ""
}

// passwordScore runs zxcvbn on the first maxScoredRunes characters, with the
// account details and the old password as user inputs so that they count
// against the new one.
func passwordScore(newPW, oldPW string, words []string) (score int, guesses float64) {
	pw := newPW
	if r := []rune(pw); len(r) > maxScoredRunes {
		pw = string(r[:maxScoredRunes])
	}
	var inputs []string
	for _, w := range contextWords(words) {
		inputs = append(inputs, strings.ToLower(w.shown))
		if w.norm != strings.ToLower(w.shown) {
			inputs = append(inputs, w.norm)
		}
		for _, part := range strings.FieldsFunc(strings.ToLower(w.shown), isSeparator) {
			if len([]rune(part)) >= 3 {
				inputs = append(inputs, part)
			}
		}
	}
	if oldPW != "" {
		inputs = append(inputs, strings.ToLower(oldPW))
	}
	r := zxcvbn.PasswordStrength(pw, inputs)
	clear(inputs) // it held the old password
	return r.Score, r.Guesses
}

type contextWord struct {
	shown string // as given (an account detail, not a secret)
	norm  string // lower case, separators removed
}

// contextWords expands the words: an email also counts by its local part.
func contextWords(words []string) []contextWord {
	var out []contextWord
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		n := normalizeForMatch(s)
		if n == "" || seen[n] {
			return
		}
		seen[n] = true
		out = append(out, contextWord{shown: s, norm: n})
	}
	for _, w := range words {
		add(w)
		if local, _, ok := strings.Cut(w, "@"); ok {
			add(local)
		}
	}
	return out
}

// normalizeForMatch lower-cases s and drops everything but letters and
// digits, so "Acme-Mail" matches "acme_mail" and "ACME mail".
func normalizeForMatch(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if !isSeparator(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isSeparator(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// singleClass reports whether s uses only one of lower case, upper case,
// digits and other characters.
func singleClass(s string) bool {
	var lower, upper, digit, other bool
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	return classes < 2
}

// crackTimePhrase turns zxcvbn's guess count into words, for an offline
// attacker of a slow hash (what its score assumes).
func crackTimePhrase(guesses float64) string {
	s := guesses / offlineGuessesPerSecond
	const (
		minute = 60.0
		hour   = 60 * minute
		day    = 24 * hour
		month  = 31 * day
		year   = 12 * month
	)
	unit := func(v float64, name string) string {
		n := int(math.Round(v))
		if n < 1 {
			n = 1
		}
		if n == 1 {
			return "about 1 " + name
		}
		return fmt.Sprintf("about %d %ss", n, name)
	}
	var t string
	switch {
	case math.IsNaN(s) || s < 1:
		return "guessable in under a second by an offline attacker"
	case s < minute:
		t = unit(s, "second")
	case s < hour:
		t = unit(s/minute, "minute")
	case s < day:
		t = unit(s/hour, "hour")
	case s < month:
		t = unit(s/day, "day")
	case s < year:
		t = unit(s/month, "month")
	case s < 100*year:
		t = unit(s/year, "year")
	default:
		return "guessable only in centuries by an offline attacker"
	}
	return "guessable in " + t + " by an offline attacker"
}
