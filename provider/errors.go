package provider

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Adapters return *Error values that match these with
// errors.Is, so callers branch on the kind without knowing the adapter.
var (
	ErrBadCredentials = errors.New("the credential was refused")
	ErrPermission     = errors.New("the credential lacks a permission")
	ErrRateLimited    = errors.New("rate limited")
	ErrNotFound       = errors.New("not found")
	ErrUnavailable    = errors.New("provider unavailable")
	ErrInvalid        = errors.New("request rejected as invalid")
	ErrUnsupported    = errors.New("not supported by this provider")
)

// Error is a provider failure with what the user needs to act on it.
type Error struct {
	Kind       error         // one of the sentinels above
	Op         string        // what reclaim was doing, e.g. "list API keys"
	Status     int           // HTTP status, when there was one
	Scope      string        // the missing scope, for ErrPermission
	RetryAfter time.Duration // for ErrRateLimited
	Message    string        // the provider's own words, sanitized
	Err        error         // underlying error (transport, decode)
}

func (e *Error) Error() string {
	msg := e.Op + ": " + e.Kind.Error()
	switch {
	case errors.Is(e.Kind, ErrPermission) && e.Scope != "":
		msg += fmt.Sprintf(" (it needs the %q scope)", e.Scope)
	case errors.Is(e.Kind, ErrRateLimited) && e.RetryAfter > 0:
		msg += fmt.Sprintf(" (retry in %s)", e.RetryAfter.Round(time.Second))
	}
	if e.Message != "" {
		msg += ": " + Sanitize(e.Message)
	}
	if e.Err != nil {
		msg += ": " + Sanitize(e.Err.Error())
	}
	return msg
}

// Is matches the sentinel kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Advice turns an error into one actionable sentence for the user.
func Advice(err error) string {
	var pe *Error
	scope := ""
	if errors.As(err, &pe) {
		scope = pe.Scope
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBadCredentials):
		return "The provider refused the key: check it was pasted whole and has not been revoked, then try again."
	case errors.Is(err, ErrPermission):
		if scope != "" {
			return fmt.Sprintf("This key lacks the %q permission: use a key that has it, or do this step in the console.", scope)
		}
		return "This key lacks a permission this step needs: use a broader key, or do this step in the console."
	case errors.Is(err, ErrRateLimited):
		if pe != nil && pe.RetryAfter > 0 {
			return fmt.Sprintf("The provider is rate limiting: wait %s and retry; nothing was lost.", pe.RetryAfter.Round(time.Second))
		}
		return "The provider is rate limiting: wait a minute and retry; nothing was lost."
	case errors.Is(err, ErrNotFound):
		return "The provider no longer has it: it may already be gone."
	case errors.Is(err, ErrUnavailable):
		return "The provider did not answer properly (timeout or server error): retry in a moment; nothing was lost."
	case errors.Is(err, ErrInvalid):
		return "The provider rejected the request as invalid: check the input and retry."
	case errors.Is(err, ErrUnsupported):
		return "This provider cannot do that through its API: use the console link instead."
	}
	return "Something went wrong: retry, or do this step in the console; nothing was lost."
}
