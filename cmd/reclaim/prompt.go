package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"reclaim/provider"
)

// promptCredential asks for each credential field with echo off. It refuses
// when standard input is not a terminal, naming the variables to set.
func promptCredential(info provider.Info, w io.Writer) (string, error) {
	var envs []string
	for _, c := range info.Credentials {
		envs = append(envs, c.EnvHint())
	}
	if !term.IsTerminal(os.Stdin.Fd()) {
		return "", errors.New("no credential: set " + strings.Join(envs, " and ") + " (standard input is not a terminal, so reclaim cannot ask)")
	}
	var parts []string
	given := 0
	for _, c := range info.Credentials {
		if c.Optional {
			fmt.Fprintf(w, "%s (input hidden; Enter to leave it out): ", c.Prompt)
		} else {
			fmt.Fprintf(w, "%s (input hidden): ", c.Prompt)
		}
		b, err := term.ReadPassword(os.Stdin.Fd())
		fmt.Fprintln(w)
		if err != nil {
			return "", err
		}
		v := strings.TrimSpace(string(b))
		clear(b)
		if v == "" {
			if !c.Optional {
				return "", errors.New("no credential given")
			}
			v = provider.CredentialAbsent
		} else {
			given++
		}
		parts = append(parts, v)
	}
	if given == 0 {
		return "", errors.New("no credential given")
	}
	return strings.Join(parts, ":"), nil
}
