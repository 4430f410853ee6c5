package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc decodes the served document into generic JSON.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(api.OpenAPI()))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

func newTestServer(t *testing.T) *server.Server {
	t.Helper()
	// The routes don't touch the service or the authenticator while being listed or while
	// /openapi.json is served, so neither is needed here.
	return server.New(server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// docPath turns a ServeMux pattern path into an OpenAPI path template: "{name...}" becomes
// "{name}" and the end anchor "{$}" goes away.
func docPath(p string) string {
	p = strings.ReplaceAll(p, "{$}", "")
	return regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`).ReplaceAllString(p, "{$1}")
}

// operation is one method of one path in the document.
type operation struct {
	path, method string
	item, op     map[string]any
}

func operations(t *testing.T, doc map[string]any) []operation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatalf("document has no paths object")
	}
	var out []operation
	for p, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", p)
			continue
		}
		for _, m := range openAPIMethods {
			if o, ok := item[m]; ok {
				op, ok := o.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", strings.ToUpper(m), p)
					continue
				}
				out = append(out, operation{path: p, method: strings.ToUpper(m), item: item, op: op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].path+" "+out[i].method < out[j].path+" "+out[j].method
	})
	return out
}

// TestOpenAPIRoutes checks the document names exactly the mounted routes: none missing, none
// extra.
func TestOpenAPIRoutes(t *testing.T) {
	srv := newTestServer(t)
	doc := openAPIDoc(t)

	var mounted []string
	seen := map[string]bool{}
	for _, r := range srv.FamilyRoutes("") {
		k := r.Method + " " + docPath(r.Path)
		if seen[k] {
			t.Errorf("route %s is mounted twice", k)
		}
		seen[k] = true
		mounted = append(mounted, k)
	}
	var documented []string
	for _, o := range operations(t, doc) {
		documented = append(documented, o.method+" "+o.path)
	}
	sort.Strings(mounted)
	sort.Strings(documented)
	if diff := cmp.Diff(mounted, documented); diff != "" {
		t.Errorf("routes (-mounted +documented in openapi.json):\n%s", diff)
	}
	if len(mounted) == 0 {
		t.Fatal("the server mounts no routes")
	}
}

// TestOpenAPIOperations checks each operation: an operationId, unique across the document; a
// declared, required path parameter for every {name} of its path and none other; at least
// one response.
func TestOpenAPIOperations(t *testing.T) {
	doc := openAPIDoc(t)
	ids := map[string]string{}
	templ := regexp.MustCompile(`\{([^}]+)\}`)
	for _, o := range operations(t, doc) {
		name := o.method + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", name)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %q is used by %s and %s", id, prev, name)
		} else {
			ids[id] = name
		}
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", name)
		}
		if rs, _ := o.op["responses"].(map[string]any); len(rs) == 0 {
			t.Errorf("%s: no responses", name)
		}

		var want []string
		for _, m := range templ.FindAllStringSubmatch(o.path, -1) {
			want = append(want, m[1])
		}
		// Operation parameters override path-item ones of the same name and location.
		params := map[string]map[string]any{}
		for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
			items, _ := list.([]any)
			for _, p := range items {
				pm, ok := resolve(doc, p).(map[string]any)
				if !ok {
					t.Errorf("%s: parameter %v does not resolve to an object", name, p)
					continue
				}
				n, _ := pm["name"].(string)
				in, _ := pm["in"].(string)
				params[in+":"+n] = pm
			}
		}
		var got []string
		for k, pm := range params {
			n, ok := strings.CutPrefix(k, "path:")
			if !ok {
				continue
			}
			got = append(got, n)
			if req, _ := pm["required"].(bool); !req {
				t.Errorf("%s: path parameter %s is not required", name, n)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: path parameters (-in the path +declared):\n%s", name, diff)
		}
	}
}

// TestOpenAPISecurity checks that exactly the public routes have "security": [] and every
// other operation needs a declared security scheme.
func TestOpenAPISecurity(t *testing.T) {
	srv := newTestServer(t)
	doc := openAPIDoc(t)
	public := map[string]bool{}
	for _, r := range srv.FamilyRoutes("") {
		public[r.Method+" "+docPath(r.Path)] = r.Public
	}
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	if len(schemes) == 0 {
		t.Fatal("no components.securitySchemes")
	}

	var wantOpen, gotOpen []string
	for k, p := range public {
		if p {
			wantOpen = append(wantOpen, k)
		}
	}
	for _, o := range operations(t, doc) {
		name := o.method + " " + o.path
		sec, explicit := o.op["security"]
		if !explicit {
			sec = doc["security"]
		}
		reqs, ok := sec.([]any)
		if !ok {
			t.Errorf("%s: no security requirement (neither on the operation nor at the top level)", name)
			continue
		}
		if len(reqs) == 0 {
			if explicit {
				gotOpen = append(gotOpen, name)
			} else {
				t.Errorf("%s: open only through the top-level security; public routes say security: [] themselves", name)
			}
			continue
		}
		for _, r := range reqs {
			rm, ok := r.(map[string]any)
			if !ok || len(rm) == 0 {
				t.Errorf("%s: security requirement %v is empty or not an object", name, r)
				continue
			}
			for s := range rm {
				if _, ok := schemes[s]; !ok {
					t.Errorf("%s: security scheme %q is not in components.securitySchemes", name, s)
				}
			}
		}
	}
	sort.Strings(wantOpen)
	sort.Strings(gotOpen)
	if diff := cmp.Diff(wantOpen, gotOpen); diff != "" {
		t.Errorf("operations without authentication (-public routes +security: [] in openapi.json):\n%s", diff)
	}
}

// TestOpenAPIRefs checks that every $ref points inside the document at something that exists.
func TestOpenAPIRefs(t *testing.T) {
	doc := openAPIDoc(t)
	n := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"]; ok {
				n++
				s, ok := r.(string)
				if !ok {
					t.Errorf("%s: $ref is not a string", at)
				} else if _, err := pointer(doc, s); err != "" {
					t.Errorf("%s: $ref %q: %s", at, s, err)
				}
			}
			for k, c := range v {
				walk(at+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(at+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("#", doc)
	if n == 0 {
		t.Error("the document has no $ref at all; expected shared components")
	}
}

// TestOpenAPIErrorResponses checks that every error response (4xx, 5xx) of every operation
// is the one Error schema.
func TestOpenAPIErrorResponses(t *testing.T) {
	doc := openAPIDoc(t)
	if _, err := pointer(doc, "#/components/schemas/Error"); err != "" {
		t.Fatalf("components.schemas.Error: %s", err)
	}
	for _, o := range operations(t, doc) {
		rs, _ := o.op["responses"].(map[string]any)
		for code, r := range rs {
			if !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") {
				continue
			}
			rm, _ := resolve(doc, r).(map[string]any)
			content, _ := rm["content"].(map[string]any)
			js, _ := content["application/json"].(map[string]any)
			if got := refOf(js["schema"]); got != "#/components/schemas/Error" {
				t.Errorf("%s %s: response %s has schema %v, want the Error schema", o.method, o.path, code, js["schema"])
			}
		}
	}
}

// TestOpenAPIServed checks /openapi.json serves the embedded document to any valid key, and
// to nobody without one.
func TestOpenAPIServed(t *testing.T) {
	e := testenv.New(t, "sqlite")
	if r := e.Do(t, http.MethodGet, "/openapi.json", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /openapi.json without a key: status %d, want 401", r.Status)
	}
	viewer := e.Key(t, "default", switchboard.RoleViewer)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	e.Server.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /openapi.json: Content-Type %q, want application/json", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), api.OpenAPI()) {
		t.Error("GET /openapi.json does not serve the embedded document")
	}
}

// resolve follows v's $ref, if it has one, within doc.
func resolve(doc map[string]any, v any) any {
	for range 16 {
		r := refOf(v)
		if r == "" {
			return v
		}
		next, err := pointer(doc, r)
		if err != "" {
			return nil
		}
		v = next
	}
	return nil
}

func refOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["$ref"].(string)
	return s
}

// pointer resolves a local reference "#/a/b" (RFC 6901) in doc; err says why it doesn't.
func pointer(doc map[string]any, ref string) (any, string) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, "not a reference within the document"
	}
	var cur any = doc
	if frag == "" {
		return cur, ""
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, "not a JSON pointer"
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, "no " + strconv.Quote(tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, "no index " + strconv.Quote(tok)
			}
			cur = c[i]
		default:
			return nil, "cannot descend into " + strconv.Quote(tok)
		}
	}
	return cur, ""
}
