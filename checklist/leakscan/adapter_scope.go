package leakscan

// SetScope sets what the next Scan reads besides files: the git history
// of every repository under the roots, and the inside of archives,
// compressed files and container images (checklist.ScopeSetter).
func (a *Adapter) SetScope(history, archives bool) {
	a.Options.History, a.Options.Archives = history, archives
}
