package switchboard_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedImports says which of the module's own packages (and which outside modules) each
// package may import, so the layout stays as STYLE.md draws it: the domain knows nothing of
// HTTP or SQL, adapters point toward the domain, compat packages never import storage, the
// native API or each other.
var allowedImports = map[string][]string{
	"github.com/switchboardhq/switchboard": {
		"github.com/santhosh-tekuri/jsonschema/v6",
	},
	"github.com/switchboardhq/switchboard/internal/compat/": {
		"github.com/switchboardhq/switchboard",
		"github.com/switchboardhq/switchboard/internal/httpx",
		"github.com/switchboardhq/switchboard/internal/i18n",
	},
	"github.com/switchboardhq/switchboard/internal/api": {
		"github.com/switchboardhq/switchboard",
		"github.com/switchboardhq/switchboard/internal/httpx",
	},
}

const module = "github.com/switchboardhq/switchboard"

func TestImportsFollowTheLayout(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports ","}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		allowed, ok := allowedImports[pkg]
		if !ok && strings.HasPrefix(pkg, module+"/internal/compat/") {
			allowed, ok = allowedImports[module+"/internal/compat/"], true
		}
		if !ok {
			continue
		}
		checked++
		for _, imp := range strings.Split(imports, ",") {
			if imp == "" || !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // the standard library
			}
			fine := false
			for _, a := range allowed {
				// The module's own packages match exactly; an outside module's sub-packages are
				// part of it.
				fine = fine || imp == a || (!strings.HasPrefix(a, module) && strings.HasPrefix(imp, a+"/"))
			}
			if !fine {
				t.Errorf("%s imports %s, which the layout does not allow", pkg, imp)
			}
		}
	}
	if checked < 7 {
		t.Fatalf("checked only %d packages: the layout test no longer finds them", checked)
	}
}
