package main

import (
	"github.com/spf13/cobra"
)

type tuiStart struct {
	drill    bool
	scenario string
	fresh    bool
	dryRun   bool
}

func runTUI(cmd *cobra.Command, start tuiStart) error {
	return nil
}
