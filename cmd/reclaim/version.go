package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// buildVersion is what the binary knows about its own build: the module
// version and the VCS stamp the go command records (go build inside a
// checkout; go run and go test builds carry no VCS information).
type buildVersion struct {
	Version  string // module version, "(devel)" for go run/go test builds
	Revision string // vcs.revision, "" when unknown
	Time     string // vcs.time (RFC 3339, the commit's time), "" when unknown
	Modified bool   // vcs.modified: built from a tree with uncommitted changes
	Go       string // toolchain, e.g. go1.26.0
}

// readBuildVersion reads the build info. A version set with -ldflags
// "-X main.version=…" wins over the module version.
func readBuildVersion(ldVersion string, info *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Go: runtime.Version()}
	if ok && info != nil {
		v.Version = info.Main.Version
		if info.GoVersion != "" {
			v.Go = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if ldVersion != "" && ldVersion != "dev" {
		v.Version = ldVersion
	}
	if v.Version == "" {
		v.Version = "unknown (no build information)"
	}
	return v
}

// String is the text `reclaim version` and `reclaim --version` print:
//
//	reclaim v0.0.0-20261201004838-67f1cb9abcde+dirty
//	revision 67f1cb9abcde… (committed 2026-12-01T00:48:38Z; built with uncommitted changes)
//	go1.26.0 linux/amd64
//
// and, for a binary built by go run or go test:
//
//	reclaim (devel)
//	revision unknown: built without VCS information
//	go1.26.0 linux/amd64
func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "reclaim %s\n", v.Version)
	if v.Revision == "" {
		b.WriteString("revision unknown: built without VCS information\n")
	} else {
		b.WriteString("revision " + v.Revision)
		var notes []string
		if v.Time != "" {
			notes = append(notes, "committed "+v.Time)
		}
		if v.Modified {
			notes = append(notes, "built with uncommitted changes")
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, "; ") + ")")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s %s/%s\n", v.Go, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// currentVersion is this binary's version.
func currentVersion() buildVersion {
	info, ok := debug.ReadBuildInfo()
	return readBuildVersion(version, info, ok)
}

// setVersion gives the root command its --version (and -v) flag; it prints
// exactly what `reclaim version` does.
func setVersion(root *cobra.Command) {
	root.Version = currentVersion().String()
	root.SetVersionTemplate("{{.Version}}")
}

func init() {
	// Elsewhere (the SARIF driver) the version is the module version too,
	// unless the build set one.
	version = currentVersion().Version
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print reclaim's version and the VCS revision it was built from",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				fmt.Fprint(cmd.OutOrStdout(), currentVersion())
				return nil
			},
		}
	})
}
