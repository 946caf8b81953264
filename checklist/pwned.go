package checklist

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// DefaultPwnedBaseURL is Have I Been Pwned's Pwned Passwords API.
const DefaultPwnedBaseURL = "https://api.pwnedpasswords.com"

// PwnedBaseURLEnv overrides the Pwned Passwords base URL (tests point it at a
// local fake; plain http is accepted only to loopback).
const PwnedBaseURLEnv = "RECLAIM_PWNED_BASE_URL"

// PwnedTimeout bounds one breach check, connection included.
const PwnedTimeout = 5 * time.Second

// pwnedMaxBody caps the range answer (a real one, padded, is ~40 KiB).
const pwnedMaxBody = 2 << 20

// PwnedResult is what the breach check found. Only Checked && Count == 0
// means "not in the breach lists"; Checked == false says nothing either way.
type PwnedResult struct {
	// Checked is true when the range answer was read.
	Checked bool
	// Count is how often the password appears in the breach corpus (0: not
	// found). Meaningful only when Checked.
	Count int
	// Note is a short outcome for the user and the journal, e.g. "not found
	// in Pwned Passwords", "found 3,861 times in Pwned Passwords",
	// "not checked (offline)", "not checked (HTTP 503)".
	Note string
}

// Breached reports whether the password is in the breach lists.
func (r PwnedResult) Breached() bool { return r.Checked && r.Count > 0 }

// Problem is the sentence refusing a breached password, or "".
func (r PwnedResult) Problem() string {
	if !r.Breached() {
		return ""
	}
	return fmt.Sprintf("this password appears %s in known data breaches (Have I Been Pwned): credential-stuffing attackers try those first, so choose another", timesPhrase(r.Count))
}

// Detail is the journal line for the breach check; it never holds the
// password or its hash.
func (r PwnedResult) Detail() string {
	if r.Checked {
		return "breach check: " + r.Note + " (k-anonymity, 5-char prefix)"
	}
	return "breach check: " + r.Note
}

// PwnedBaseURL returns the Pwned Passwords base URL: RECLAIM_PWNED_BASE_URL
// when set (https, or http to loopback only), else the public API.
func PwnedBaseURL() (string, error) {
	raw := strings.TrimSpace(os.Getenv(PwnedBaseURLEnv))
	if raw == "" {
		return DefaultPwnedBaseURL, nil
	}
	u, err := provider.CheckBaseURL(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", PwnedBaseURLEnv, err)
	}
	return u.String(), nil
}

// CheckPwned looks password up in Have I Been Pwned's Pwned Passwords at
// PwnedBaseURL(). See CheckPwnedAt.
func CheckPwned(ctx context.Context, client *http.Client, password string) PwnedResult {
	base, err := PwnedBaseURL()
	if err != nil {
		return PwnedResult{Note: "not checked (" + PwnedBaseURLEnv + " refused: use https, or http to loopback)"}
	}
	return CheckPwnedAt(ctx, client, base, password)
}

// CheckPwnedAt looks password up in the Pwned Passwords range API at base
// with k-anonymity: only the first 5 hex characters of its SHA-1 are sent
// (GET {base}/range/{PREFIX}, with Add-Padding so the answer's size says
// nothing either); the suffix is compared here. It takes at most
// PwnedTimeout. A timeout, a network error, a non-200 answer, an oversize
// or unreadable body gives Checked == false, never "not found". A nil client
// uses one that follows no redirect.
func CheckPwnedAt(ctx context.Context, client *http.Client, base, password string) PwnedResult {
	u, err := provider.CheckBaseURL(base)
	if err != nil {
		return PwnedResult{Note: "not checked (base URL refused: use https, or http to loopback)"}
	}
	if client == nil {
		client = defaultPwnedClient
	}
	pw := []byte(password)
	sum := sha1.Sum(pw)
	clear(pw)
	hexSum := []byte(strings.ToUpper(hex.EncodeToString(sum[:])))
	clear(sum[:])
	defer clear(hexSum)
	prefix, suffix := string(hexSum[:5]), hexSum[5:]

	ctx, cancel := context.WithTimeout(ctx, PwnedTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/range/"+prefix, nil)
	if err != nil {
		return PwnedResult{Note: "not checked (bad base URL)"}
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("Accept", "text/plain")
	req.Header.Set("User-Agent", "reclaim (account recovery)")
	resp, err := client.Do(req)
	if err != nil {
		return PwnedResult{Note: "not checked (offline)"}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return PwnedResult{Note: fmt.Sprintf("not checked (HTTP %d)", resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, pwnedMaxBody+1))
	if err != nil {
		return PwnedResult{Note: "not checked (offline)"}
	}
	if len(body) > pwnedMaxBody {
		return PwnedResult{Note: "not checked (answer too large)"}
	}
	count, valid := matchRange(body, suffix)
	if valid == 0 {
		// A 200 without a single SUFFIX:COUNT line is not the API (a
		// captive portal, a proxy's page): it proves nothing.
		return PwnedResult{Note: "not checked (unexpected answer)"}
	}
	if count > 0 {
		return PwnedResult{Checked: true, Count: count, Note: fmt.Sprintf("found %s in Pwned Passwords", timesPhrase(count))}
	}
	return PwnedResult{Checked: true, Note: "not found in Pwned Passwords"}
}

// matchRange scans a range answer for suffix and returns the highest count
// given for it (padding lines have 0) and how many well-formed lines it
// read; malformed lines are skipped.
func matchRange(body, suffix []byte) (count, valid int) {
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		s, c, ok := bytes.Cut(bytes.TrimSpace(line), []byte(":"))
		if !ok || len(s) != 35 || !isHex(s) {
			continue
		}
		n, err := strconv.Atoi(string(bytes.TrimSpace(c)))
		if err != nil || n < 0 {
			continue
		}
		valid++
		if bytes.EqualFold(s, suffix) && n > count {
			count = n
		}
	}
	return count, valid
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func timesPhrase(n int) string {
	if n == 1 {
		return "once"
	}
	return groupThousands(n) + " times"
}

// groupThousands writes 3861042 as "3,861,042".
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// defaultPwnedClient follows no redirect (the API does not redirect, and a
// redirect could send the prefix somewhere unchecked): a 3xx is "not
// checked (HTTP 3xx)".
var defaultPwnedClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}
