package leakscan

// Credentials in a git config (issue 16, item 6a): a token or password in
// the user part of a remote, push or submodule URL, or of an insteadOf
// rewrite (https://user:TOKEN@host/..., https://TOKEN@github.com/...), and
// the token of an http.extraheader (actions/checkout leaves
// "AUTHORIZATION: basic <base64>" there). The walk reads every .git/config
// it meets with these rules besides the detectors; `--git PATH` reads the
// repository's config the same way.

import (
	"bytes"
	"path/filepath"
	"strings"

	"reclaim/provider"
)

// gitCredDetector names git-config findings (Finding.Detector).
var gitCredDetector = provider.Detector{Name: "git/config-credential", Provider: "git"}

// isGitConfigPath reports whether path is a repository's config: .git/config
// (lname is the lower-cased base name).
func isGitConfigPath(path, lname string) bool {
	return lname == "config" && filepath.Base(filepath.Dir(path)) == ".git"
}

// gitTokenKind names the kind of a token by its prefix ("" when it has
// none the hosting services use).
func gitTokenKind(s string) string {
	switch {
	case strings.HasPrefix(s, "ghp_"), strings.HasPrefix(s, "gho_"), strings.HasPrefix(s, "ghu_"),
		strings.HasPrefix(s, "ghs_"), strings.HasPrefix(s, "ghr_"), strings.HasPrefix(s, "github_pat_"):
		return "github_pat_in_remote_url"
	case strings.HasPrefix(s, "glpat-"), strings.HasPrefix(s, "gloas-"), strings.HasPrefix(s, "glcbt-"):
		return "gitlab_pat_in_remote_url"
	}
	return ""
}

// gitCredSpan is a credential in a config: b[start:end].
type gitCredSpan struct {
	start, end int
	kind       string
}

// gitConfigCreds finds the credentials in a config's text.
func gitConfigCreds(b []byte) []gitCredSpan {
	var out []gitCredSpan
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("://"))
		if j < 0 {
			break
		}
		j += i
		i = j + 3
		auth := i
		end := auth
		for end < len(b) && !strings.ContainsRune("/?#\"' \t\r\n]", rune(b[end])) {
			end++
		}
		at := bytes.LastIndexByte(b[auth:end], '@')
		if at < 0 {
			continue
		}
		user := b[auth : auth+at]
		var pass []byte
		passAt := -1
		if c := bytes.IndexByte(user, ':'); c >= 0 {
			pass, passAt = user[c+1:], auth+c+1
			user = user[:c]
		}
		switch {
		case len(pass) > 0 && plausibleGitSecret(pass, false):
			k := gitTokenKind(string(pass))
			if k == "" {
				k = "password_in_remote_url"
			}
			out = append(out, gitCredSpan{passAt, passAt + len(pass), k})
		case plausibleGitSecret(user, true):
			k := gitTokenKind(string(user))
			if k == "" {
				k = "token_in_remote_url"
			}
			out = append(out, gitCredSpan{auth, auth + len(user), k})
		}
	}
	// http.extraheader = AUTHORIZATION: basic <base64> (or bearer <token>)
	for i := 0; ; {
		j := provider.IndexFold(b, i, len(b), "extraheader")
		if j < 0 {
			break
		}
		i = j + len("extraheader")
		le := bytes.IndexByte(b[i:], '\n')
		if le < 0 {
			le = len(b) - i
		}
		line := b[i : i+le]
		for _, scheme := range []string{"basic ", "bearer ", "token "} {
			k := provider.IndexFold(line, 0, len(line), scheme)
			if k < 0 {
				continue
			}
			s := i + k + len(scheme)
			e := s
			for e < i+le && !strings.ContainsRune("\"' \t\r\n", rune(b[e])) {
				e++
			}
			if e-s >= 16 && !provider.LooksPlaceholder(b[s:e]) {
				out = append(out, gitCredSpan{s, e, "token_in_http_extraheader"})
			}
			break
		}
	}
	return out
}

// plausibleGitSecret: a password of 8 characters or more that is no
// placeholder or variable, or (asUser) a user name that is a token: a
// known prefix, or 20 characters or more of mixed letters and digits.
func plausibleGitSecret(s []byte, asUser bool) bool {
	if len(s) == 0 || s[0] == '$' || s[0] == '%' || s[0] == '<' || s[0] == '{' {
		return false
	}
	str := string(s)
	if str == "x-oauth-basic" || str == "x-access-token" || str == "oauth2" || provider.LooksPlaceholder(s) {
		return false
	}
	if gitTokenKind(str) != "" {
		return true
	}
	if asUser {
		return len(s) >= 20 && provider.Mixed(s)
	}
	return len(s) >= 8
}

// addGitConfigFindings adds the credentials of a config's text b (the
// whole file, one chunk) as findings of provider "git".
func (s *fileScanner) addGitConfigFindings(b []byte) {
	for _, c := range gitConfigCreds(b) {
		s.addMatch(b, &gitCredDetector, provider.Match{Provider: "git", Kind: c.kind, Start: c.start, End: c.end})
	}
}

// gitConfigFile reads the config of the repository at repo for
// credentials (for a repository named with --git, whose config no walk
// reads).
func gitConfigFile(repo string) []Finding {
	l, err := findGitLayout(repo)
	if err != nil {
		return nil
	}
	p := filepath.Join(l.commonDir, "config")
	b, err := readSmall(p, gitMaxConfigSize)
	if err != nil {
		return nil
	}
	s := &fileScanner{e: getEngine()}
	s.resetObject()
	s.path = p
	s.addGitConfigFindings(b)
	return s.res.findings
}
