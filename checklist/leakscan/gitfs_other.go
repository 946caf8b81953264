//go:build !linux

package leakscan

import "syscall"

// Flags for opening a repository's files (githistory); see gitfs_linux.go.
const (
	openNoFollow = 0
	openNonBlock = syscall.O_NONBLOCK
)
