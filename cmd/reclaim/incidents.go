package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/provider"
)

func init() {
	subcommands = append(subcommands, newIncidentsCmd)
}

func newIncidentsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "incidents",
		Short: "List every incident: id, title, progress, and whether its state is ok or damaged",
		Long: `List every incident in the state directory, newest first: its id, title,
progress and the state of its state.json:

  ok       it opens and resumes
  damaged  empty, truncated, garbage or with parts missing: it is kept as it
           was, a byte-for-byte copy is made next to it
           (state.json.damaged-<UTC time>), and what could be read is said
  newer    saved by a newer reclaim: listed read-only, left unchanged
  refused  another user could change it (owner or mode): not read; the
           message spells out the fix

Nothing is ever left out of the list. Exit 0 (2 when the state directory
cannot be read).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store := &checklist.Store{Dir: stateDir()}
			list, err := store.List()
			if err != nil {
				return withCode(exitError, err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeIncidentsJSON(cmd, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(out, "No incidents in %s: start one with \"reclaim\" or \"reclaim drill\".\n", provider.Sanitize(store.Dir))
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tPROGRESS\tUPDATED\tTITLE")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", provider.SanitizeN(s.ID, 60), s.State, progressText(s), updatedText(s.Updated), titleText(s))
			}
			tw.Flush()
			for _, s := range list {
				if s.OK() {
					continue
				}
				fmt.Fprintf(out, "\n%s (%s):\n  %s\n", provider.SanitizeN(s.ID, 60), s.State, provider.Sanitize(s.Problem))
				if s.Quarantine != "" {
					fmt.Fprintf(out, "  copy kept: %s\n", provider.Sanitize(s.Quarantine))
				}
				if s.Recovered != "" {
					fmt.Fprintf(out, "  %s\n", provider.Sanitize(s.Recovered))
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "one JSON array")
	return c
}

func progressText(s checklist.Summary) string {
	if s.Total == 0 {
		return "-"
	}
	p := fmt.Sprintf("%d/%d", s.Done, s.Total)
	switch {
	case s.Closed && s.Done < s.Total:
		p += " gone through, open items left"
	case s.Closed:
		p += " closed"
	}
	return p
}

func updatedText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func titleText(s checklist.Summary) string {
	t := provider.SanitizeN(s.Title, 60)
	if t == "" {
		t = "(no title could be read)"
	}
	if s.Drill {
		t += " [drill]"
	}
	return t
}

type incidentJSON struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	State      string    `json:"state"`
	Done       int       `json:"done"`
	Total      int       `json:"total"`
	Updated    time.Time `json:"updated,omitzero"`
	Drill      bool      `json:"drill,omitempty"`
	Closed     bool      `json:"closed,omitempty"`
	Provider   string    `json:"provider,omitempty"`
	Problem    string    `json:"problem,omitempty"`
	Quarantine string    `json:"quarantine,omitempty"`
	Recovered  string    `json:"recovered,omitempty"`
}

func writeIncidentsJSON(cmd *cobra.Command, list []checklist.Summary) error {
	out := make([]incidentJSON, 0, len(list))
	for _, s := range list {
		out = append(out, incidentJSON{ID: s.ID, Title: s.Title, State: s.State, Done: s.Done, Total: s.Total, Updated: s.Updated,
			Drill: s.Drill, Closed: s.Closed, Provider: s.Provider, Problem: s.Problem, Quarantine: s.Quarantine, Recovered: s.Recovered})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return withCode(exitError, err)
	}
	_, err = cmd.OutOrStdout().Write(append(terminalSafeJSON(b), '\n'))
	return err
}
