//go:build linux

package leakscan

import "syscall"

// Flags for opening a repository's files (githistory): a symbolic link in
// the last name is refused, a named pipe never blocks the open.
const (
	openNoFollow = syscall.O_NOFOLLOW
	openNonBlock = syscall.O_NONBLOCK
)
