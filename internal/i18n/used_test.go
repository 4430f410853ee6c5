package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// keyPatterns find the message keys the code hands to clients: Errorf(Code..., "key"),
// Conflict("key"), Message: "key", and validation reasons, which become "field.<reason>".
var keyPatterns = []struct {
	re     *regexp.Regexp
	prefix string
}{
	{regexp.MustCompile(`Errorf\(\s*(?:\w+\.)?Code\w+,\s*"([^"]+)"`), ""},
	{regexp.MustCompile(`Conflict\(\s*"([^"]+)"`), ""},
	{regexp.MustCompile(`Message:\s*"([^"]+)"\s*[,}\n]`), ""},
	{regexp.MustCompile(`Invalid\([^()]*(?:\([^()]*\))?[^()]*,\s*"([a-z_]+)"\)`), "field."},
	{regexp.MustCompile(`Reason:\s*"([a-z_]+)"`), "field."},
}

// reasonReturns finds the reasons validate.go derives from JSON Schema keywords.
var reasonReturns = regexp.MustCompile(`return "([a-z_]+)"`)

// TestEveryUsedKeyIsInTheCatalog scans the product's Go files for message keys and fails for
// any key the catalogs lack, so no client ever gets a raw key or a generic fallback by mistake.
func TestEveryUsedKeyIsInTheCatalog(t *testing.T) {
	root := filepath.Join("..", "..")
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = true
	}
	used := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "testdata" || n == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, p := range keyPatterns {
			for _, m := range p.re.FindAllStringSubmatch(string(src), -1) {
				used[p.prefix+m[1]] = append(used[p.prefix+m[1]], path)
			}
		}
		if filepath.Base(path) == "validate.go" {
			for _, m := range reasonReturns.FindAllStringSubmatch(string(src), -1) {
				used["field."+m[1]] = append(used["field."+m[1]], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys: the scan patterns no longer match the code", len(used))
	}
	var missing []string
	for k, paths := range used {
		if !known[k] {
			missing = append(missing, k+" (used in "+strings.Join(slices.Compact(paths), ", ")+")")
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("message key not in the catalogs: %s", m)
	}
}

// driverKeys are message keys the storage drivers keep in lookup tables rather than calls.
var driverKeys = regexp.MustCompile(`"([a-z_]+\.(?:exists|name_taken|key_taken|changed))"`)

// TestEveryDriverConflictKeyIsInTheCatalog covers the conflict keys the drivers map unique
// constraints to.
func TestEveryDriverConflictKeyIsInTheCatalog(t *testing.T) {
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = true
	}
	n := 0
	for _, dir := range []string{"sqlite", "postgres"} {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range driverKeys.FindAllStringSubmatch(string(src), -1) {
				n++
				if !known[m[1]] {
					t.Errorf("%s: conflict key %q is not in the catalogs", f, m[1])
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d driver keys: the scan no longer matches the drivers", n)
	}
}
