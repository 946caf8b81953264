package checklist

import (
	"errors"
	"strings"
	"time"
)

// Answers looks up another question's live answer while a form is filled
// (validators of one field may depend on another: a confirmation, a code
// checked against a setup key).
type Answers func(id string) string

// Validators a question can carry (Question.Validate). Each lets an empty
// answer through unless it says "required": an empty answer leaves the
// step open, it is never guessed.

// Required refuses an empty answer.
func Required(v string, _ Answers) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("required")
	}
	return nil
}

// ValidCIDRs accepts addresses and CIDRs, comma separated.
func ValidCIDRs(v string, _ Answers) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	_, err := ParseCIDRs(v)
	return err
}

// StrongPassword refuses a weak new password (empty: no change now).
func StrongPassword(v string, _ Answers) error {
	if v == "" {
		return nil
	}
	if msg := PasswordProblem(v, ""); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// MismatchError is a confirmation that differs from the answer it
// confirms (question With): both are asked again.
type MismatchError struct{ With string }

func (e *MismatchError) Error() string {
	return "the two entries differ: type the new password twice"
}

// SameAs refuses an answer that differs from question id's.
func SameAs(id string) func(string, Answers) error {
	return func(v string, a Answers) error {
		if a != nil && a(id) != v {
			return &MismatchError{With: id}
		}
		return nil
	}
}

// ValidTOTPSetup accepts a 2FA setup key or otpauth:// link.
func ValidTOTPSetup(v string, _ Answers) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	_, err := ParseTOTPSetup(v)
	return err
}

// TOTPCode checks an authenticator code against the setup key typed in
// question setup; after names the question holding the previous code
// ("" for the first code).
func TOTPCode(setup, after string) func(string, Answers) error {
	return func(v string, a Answers) error {
		if a == nil || strings.TrimSpace(a(setup)) == "" || strings.TrimSpace(v) == "" {
			return nil
		}
		if after != "" && strings.TrimSpace(a(after)) == "" {
			return errors.New("the first code was left empty: go back (shift+tab) to type it, or leave this empty too")
		}
		set, err := ParseTOTPSetup(a(setup))
		if err != nil {
			return err
		}
		if after == "" {
			return set.CheckFirstCode(v, time.Now())
		}
		return set.CheckTOTPCodes(a(after), v, time.Now())
	}
}

// StepRunner is work a step runs after its form, in the background, with
// its own screen: a file scan, the report preview.
type StepRunner string

const (
	RunNone          StepRunner = ""
	RunScan          StepRunner = "scan"
	RunReportPreview StepRunner = "report-preview"
)

// ScanPaths are the folders the scan step's form asked for.
func ScanPaths(answers map[string]string) []string { return splitList(answers["paths"]) }
