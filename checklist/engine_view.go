package checklist

import "reclaim/provider"

// SessionKey is the id of the key reclaim itself uses, when known.
func (e *Engine) SessionKey() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.SessionKeyID
}

// Permissions is what the credential may do, when the provider told.
func (e *Engine) Permissions() *provider.PermissionReport { return e.Perms }

// Context is what the inventory says that matters to step id.
func (e *Engine) Context(id StepID, inc *Incident) []ContextLine {
	if inc == nil {
		return nil
	}
	return StepContext(id, inc.Account(), e.SessionKey())
}
