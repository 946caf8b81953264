package checklist

import (
	"strings"
	"testing"
	"time"
)

const testSetup = "otpauth://totp/SendGrid:acme-mail?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=SendGrid"

func TestParseTOTPSetup(t *testing.T) {
	for _, in := range []string{testSetup, "jbsw y3dp ehpk 3pxp jbsw y3dp", "JBSWY3DPEHPK3PXPJBSWY3DP"} {
		s, err := ParseTOTPSetup(in)
		if err != nil || s.Secret != "JBSWY3DPEHPK3PXPJBSWY3DP" {
			t.Errorf("%q: %+v %v", in, s, err)
		}
	}
	for _, bad := range []string{"", "not base32 !!", "JBSWY3DP", "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP&counter=1"} {
		if _, err := ParseTOTPSetup(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckTOTPCodesSkew(t *testing.T) {
	s, _ := ParseTOTPSetup(testSetup)
	now := time.Date(2026, 11, 22, 9, 0, 10, 0, time.UTC)
	code := func(d time.Duration) string { c, _ := s.CodeAt(now.Add(d)); return c }
	cases := []struct {
		name         string
		c1, c2       string
		ok           bool
		wantContains string
	}{
		{"now and next", code(0), code(30 * time.Second), true, ""},
		{"phone 30s behind", code(-30 * time.Second), code(0), true, ""},
		{"phone 30s ahead", code(30 * time.Second), code(60 * time.Second), true, ""},
		{"same code twice", code(0), code(0), false, "two different codes"},
		{"not consecutive", code(0), code(90 * time.Second), false, "not the one after"},
		{"clock 3 minutes ahead", code(180 * time.Second), code(210 * time.Second), false, "180 seconds ahead"},
		{"clock 2 minutes behind", code(-120 * time.Second), code(-90 * time.Second), false, "120 seconds behind"},
		{"wrong key", "123456", "654321", false, ""},
		{"not digits", "12a456", code(0), false, "6 digits"},
	}
	for _, c := range cases {
		err := s.CheckTOTPCodes(c.c1, c.c2, now)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && c.wantContains != "" && !strings.Contains(err.Error(), c.wantContains) {
			t.Errorf("%s: %v lacks %q", c.name, err, c.wantContains)
		}
	}
}
