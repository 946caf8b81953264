package checklist_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"reclaim/provider"
)

// The procedure, the UI and the command are provider-neutral: adding a
// provider is one folder under provider/ and one blank import. So their
// non-test code names no provider in its text (key prefixes, scopes and
// console words come from the adapter's Info), and recognises a drill or a
// capability only through named interfaces, never an anonymous assertion.
var neutralDirs = []string{".", "../tui", "../cmd/reclaim"}

// neutralAllowed are literals in files other sessions own (the leak
// scanner's records), to be made neutral there; remove an entry once its
// file no longer has it.
var neutralAllowed = map[string]string{
	"findings.go:Its id matches a leaked SG.<id>.<secret> string: revoke it once a replacement works.": "scan branch",
	"scanrecord.go:leaked SendGrid key id": "scan branch",
}

// anonymousAllowed are the scanner seams' method names (the leak scanner's
// own optional methods, owned by its package).
var anonymousAllowed = []string{"DefaultRoots", "SetRoots"}

// sgPrefix is a key prefix as a word ("SG." but not "msg.").
var sgPrefix = regexp.MustCompile(`(?i)(^|[^a-z0-9_])sg\.`)

func neutralWords() []string {
	words := []string{"sendgrid", "mailjet", "mailgun", "twilio", "postmark", "brevo", "sendinblue", "mailchimp", "mandrill", "sparkpost", "amazon ses", "mail.send"}
	for _, i := range provider.Real() {
		words = append(words, strings.ToLower(i.ID), strings.ToLower(i.Name))
	}
	for _, d := range provider.Detectors() {
		words = append(words, strings.ToLower(d.Provider))
	}
	return words
}

func neutralFiles(t *testing.T) map[string]*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]*ast.File{}
	for _, dir := range neutralDirs {
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(names) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, "_test.go") {
				continue
			}
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, n, b, 0)
			if err != nil {
				t.Fatal(err)
			}
			out[n] = f
		}
	}
	return out
}

func TestNoProviderNameInProcedureText(t *testing.T) {
	words := neutralWords()
	for name, f := range neutralFiles(t) {
		skip := map[*ast.BasicLit]bool{}
		for _, im := range f.Imports {
			skip[im.Path] = true // the blank imports that link adapters in
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if fl, ok := n.(*ast.Field); ok && fl.Tag != nil {
				skip[fl.Tag] = true
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || skip[lit] {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			low := strings.ToLower(s)
			for _, w := range append(words, "sg.") {
				if w == "" || !strings.Contains(low, w) || (w == "sg." && !sgPrefix.MatchString(s)) {
					continue
				}
				key := filepath.Base(name) + ":" + s
				if _, ok := neutralAllowed[key]; ok {
					break
				}
				t.Errorf("%s: the literal %q names a provider (%q): take it from the adapter's Info", name, s, w)
				break
			}
			return true
		})
	}
}

func TestNoAnonymousInterfaceAssertions(t *testing.T) {
	anon := func(e ast.Expr) (string, bool) {
		it, ok := e.(*ast.InterfaceType)
		if !ok {
			return "", false
		}
		var names []string
		for _, m := range it.Methods.List {
			for _, n := range m.Names {
				names = append(names, n.Name)
			}
		}
		for _, n := range names {
			for _, a := range anonymousAllowed {
				if n == a {
					return "", false
				}
			}
		}
		return strings.Join(names, ", "), true
	}
	for name, f := range neutralFiles(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.TypeAssertExpr:
				if m, ok := anon(x.Type); ok {
					t.Errorf("%s: anonymous interface assertion (%s): name the interface in provider/ (or the package)", name, m)
				}
			case *ast.TypeSwitchStmt:
				for _, c := range x.Body.List {
					for _, e := range c.(*ast.CaseClause).List {
						if m, ok := anon(e); ok {
							t.Errorf("%s: anonymous interface in a type switch (%s): name it", name, m)
						}
					}
				}
			}
			return true
		})
	}
}
