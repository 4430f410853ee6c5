package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const referencePath = "../../docs/configuration.md"

// docs/configuration.md is the output of config reference: a flag added, renamed or changed
// without regenerating it fails here. The output does not depend on the environment it is
// made in (and so never shows a secret of it).
func TestConfigurationReference(t *testing.T) {
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (make it with: %s)", err, referenceCommand)
	}
	got := mustRun(t, nil, "config", "reference").stdout
	if got != string(want) {
		t.Errorf("docs/configuration.md differs from the code; regenerate it (from the repository root):\n    %s\n%s", referenceCommand, firstDifference(string(want), got))
	}

	const secret = "a-secret-hs256-value-that-must-not-appear-anywhere"
	env := []string{"SWITCHBOARD_ADDR=0.0.0.0:9999", "SWITCHBOARD_DATA_DIR=/elsewhere", "SWITCHBOARD_JWT_HS256_SECRET=" + secret, "SWITCHBOARD_WEBHOOK_WORKERS=9"}
	other := mustRun(t, env, "config", "reference").stdout
	if other != got {
		t.Errorf("the reference depends on the environment it is made in:\n%s", firstDifference(got, other))
	}
	if strings.Contains(other, secret) {
		t.Errorf("the reference shows a secret of the environment")
	}
}

// firstDifference describes the first line where want and got differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n  committed: " + wl + "\n  code:      " + gl
		}
	}
	return ""
}

// Every SWITCHBOARD_* variable the command's code names is in the reference's table of
// variables: one read without a flag must be added to envWithoutFlag.
func TestConfigurationReferenceNamesEveryVariable(t *testing.T) {
	out := mustRun(t, nil, "config", "reference").stdout
	_, table, ok := strings.Cut(out, "## Environment variables")
	if !ok {
		t.Fatal("the reference has no table of environment variables")
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var names []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range envMention.FindAllString(s, -1) {
				if !slices.Contains(names, m) {
					names = append(names, m)
				}
			}
			return true
		})
	}
	if len(names) < 5 {
		t.Fatalf("found only %v in the code", names)
	}
	for _, n := range names {
		if !strings.Contains(table, "| `"+n+"` |") {
			t.Errorf("%s is named in the code but not in the reference's variables (add it to envWithoutFlag if no flag reads it)", n)
		}
	}
}
