package checklist

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPSetup is a validated 2FA setup key. It is a secret: it lives in
// memory for the enrolment and is never saved; only "2FA enrolled at T" is.
type TOTPSetup struct {
	Secret  string // base32, upper case, no padding or spaces
	Issuer  string
	Account string
	Digits  otp.Digits
	Period  uint
	Algo    otp.Algorithm
}

// ParseTOTPSetup accepts what a provider's console shows: an otpauth:// URI
// or a base32 setup key (spaces and lower case allowed).
func ParseTOTPSetup(s string) (*TOTPSetup, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("paste the setup key or the otpauth:// link the console shows")
	}
	set := &TOTPSetup{Digits: otp.DigitsSix, Period: 30, Algo: otp.AlgorithmSHA1}
	if strings.HasPrefix(strings.ToLower(s), "otpauth://") {
		k, err := otp.NewKeyFromURL(s)
		if err != nil {
			return nil, fmt.Errorf("not a valid otpauth link: %v", err)
		}
		if k.Type() != "totp" {
			return nil, fmt.Errorf("this is a %q link; reclaim checks time-based (totp) codes", k.Type())
		}
		set.Secret, set.Issuer, set.Account = k.Secret(), k.Issuer(), k.AccountName()
		if p := k.Period(); p > 0 {
			set.Period = uint(p)
		}
		set.Digits, set.Algo = k.Digits(), k.Algorithm()
		if set.Digits == 0 {
			set.Digits = otp.DigitsSix
		}
	} else {
		set.Secret = s
	}
	set.Secret = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(set.Secret))
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(set.Secret)
	if err != nil {
		return nil, errors.New("the setup key is not base32 (letters A–Z and digits 2–7): check it was copied whole")
	}
	if len(raw) < 10 {
		return nil, fmt.Errorf("the setup key is too short (%d bits): check it was copied whole", len(raw)*8)
	}
	return set, nil
}

// URI is the otpauth:// link for the authenticator (and the QR code).
func (t *TOTPSetup) URI() string {
	label := t.Account
	if t.Issuer != "" {
		label = t.Issuer + ":" + t.Account
	}
	v := url.Values{}
	v.Set("secret", t.Secret)
	if t.Issuer != "" {
		v.Set("issuer", t.Issuer)
	}
	if t.Period != 30 {
		v.Set("period", fmt.Sprint(t.Period))
	}
	if t.Digits != otp.DigitsSix {
		v.Set("digits", fmt.Sprint(t.Digits.Length()))
	}
	return "otpauth://totp/" + url.PathEscape(label) + "?" + v.Encode()
}

func (t *TOTPSetup) opts() totp.ValidateOpts {
	return totp.ValidateOpts{Period: t.Period, Digits: t.Digits, Algorithm: t.Algo}
}

// CodeAt is the code for a time (tests and the drill's autopilot).
func (t *TOTPSetup) CodeAt(at time.Time) (string, error) {
	return totp.GenerateCodeCustom(t.Secret, at, t.opts())
}

// stepOf finds the time step within ±window steps of now at which code is
// valid; ok is false when none is.
func (t *TOTPSetup) stepOf(code string, now time.Time, window int) (int, bool) {
	period := time.Duration(t.Period) * time.Second
	for d := 0; d <= window; d++ {
		for _, sgn := range []int{1, -1} {
			if d == 0 && sgn == -1 {
				continue
			}
			at := now.Add(time.Duration(sgn*d) * period)
			if c, err := t.CodeAt(at); err == nil && c == code {
				return sgn * d, true
			}
		}
	}
	return 0, false
}

// CheckTOTPCodes checks two consecutive codes from the authenticator,
// allowing one step of clock skew either way, and says clearly when the
// clock of the phone or of this machine is off.
func (t *TOTPSetup) CheckTOTPCodes(code1, code2 string, now time.Time) error {
	code1, code2 = strings.TrimSpace(code1), strings.TrimSpace(code2)
	n := t.Digits.Length()
	for _, c := range []string{code1, code2} {
		if len(c) != n || strings.Trim(c, "0123456789") != "" {
			return fmt.Errorf("a code is %d digits; got %q", n, c)
		}
	}
	s1, ok := t.stepOf(code1, now, 1)
	if !ok {
		if off, far := t.stepOf(code1, now, 20); far {
			return fmt.Errorf("the first code matches a time %d seconds %s this machine's clock: set the phone and this computer to automatic time, then try again", abs(off)*int(t.Period), aheadBehind(off))
		}
		return errors.New("the first code does not match this setup key: check you scanned the right key, and wait for a fresh code")
	}
	s2, ok := t.stepOf(code2, now, 2)
	if !ok || s2 != s1+1 {
		if code1 == code2 {
			return errors.New("enter two different codes: wait for the authenticator to show the next one")
		}
		return errors.New("the second code is not the one after the first: wait for the next code and enter it")
	}
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func aheadBehind(off int) string {
	if off > 0 {
		return "ahead of"
	}
	return "behind"
}

// CheckFirstCode checks one code alone (the first of the two), with the
// same skew and clock messages as CheckTOTPCodes.
func (t *TOTPSetup) CheckFirstCode(code string, now time.Time) error {
	code = strings.TrimSpace(code)
	if len(code) != t.Digits.Length() || strings.Trim(code, "0123456789") != "" {
		return fmt.Errorf("a code is %d digits; got %q", t.Digits.Length(), code)
	}
	if _, ok := t.stepOf(code, now, 1); ok {
		return nil
	}
	if off, far := t.stepOf(code, now, 20); far {
		return fmt.Errorf("the code matches a time %d seconds %s this machine's clock: set the phone and this computer to automatic time, then try again", abs(off)*int(t.Period), aheadBehind(off))
	}
	return errors.New("the code does not match this setup key: check you scanned the right key, and wait for a fresh code")
}

// QRURI is the shortest otpauth:// link authenticators accept (issuer in the
// label only), so the QR code stays small enough for an 80×24 terminal.
func (t *TOTPSetup) QRURI() string {
	label := t.Account
	if t.Issuer != "" {
		label = t.Issuer + ":" + t.Account
	}
	u := "otpauth://totp/" + url.PathEscape(label) + "?secret=" + t.Secret
	if t.Period != 30 {
		u += fmt.Sprintf("&period=%d", t.Period)
	}
	if t.Digits != otp.DigitsSix {
		u += fmt.Sprintf("&digits=%d", t.Digits.Length())
	}
	return u
}
