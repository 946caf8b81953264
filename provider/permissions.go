package provider

import (
	"context"
	"time"
)

// PermissionReporter is implemented by adapters that can tell, before any
// step runs, which checklist items the credential's permissions allow (for
// SendGrid: the key's scopes from GET /v3/scopes). The UI and the audit use
// it to say up front which steps this key can do and, for the others, which
// permission is missing, instead of failing one step at a time.
type PermissionReporter interface {
	Permissions(ctx context.Context) (PermissionReport, error)
}

// PermissionReport says what the credential may do.
type PermissionReport struct {
	// Granted lists the credential's permissions as the provider names them.
	Granted []string `json:"granted"`
	// Items has one entry per checklist item the adapter can automate.
	Items []ItemPermission `json:"items"`
}

// ItemPermission is one checklist item and whether the credential covers it.
type ItemPermission struct {
	Item    Item   `json:"item"`
	Action  string `json:"action"` // what the step does, e.g. "list API keys"
	Allowed bool   `json:"allowed"`
	// Missing names the permissions the step needs and the credential lacks.
	Missing []string `json:"missing,omitempty"`
}

// Allowed reports whether every step for item is allowed (true when the
// report does not mention the item).
func (r PermissionReport) Allowed(item Item) bool {
	for _, p := range r.Items {
		if p.Item == item && !p.Allowed {
			return false
		}
	}
	return true
}

// RateLimitNotifier is implemented by adapters that wait out rate limits:
// fn is called each time a request waits, with how long it will wait, so a
// UI can show "waiting 12s for the rate limit". fn must not block.
type RateLimitNotifier interface {
	OnRateLimit(fn func(wait time.Duration))
}
