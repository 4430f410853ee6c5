package secmaster_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The vendor documentation's example ids (the Kafka plugin) and the tenant of testenv.
const (
	project       = "default"
	seedComponent = "ad93ecc6-1723-4c2c-9976-9eb0182c2d18"
	seedVersion   = "33fd1b37-1f39-4230-86c6-2d119e9f4fac"
)

// soc is the SecMaster path prefix of workspace ws in the default project.
func soc(ws string) string { return "/v1/" + project + "/workspaces/" + ws + "/soc" }

// assetFields are the fields of the seed's AssetInfoResponseBody, all always present.
var assetFields = []string{
	"id", "project_id", "workspace_id", "name", "component_id", "component_name", "component_version_id",
	"type", "status", "config", "description", "enabled", "create_time", "creator_id", "creator_name",
	"update_time", "modifier_id", "modifier_name", "defense_type", "target_project_id", "target_project_name",
	"target_enterprise_id", "target_enterprise_name", "region_id", "region_name", "can_be_deleted",
}

// call sends a request the way Huawei clients do: the token in X-Auth-Token, JSON bodies as
// application/json;charset=UTF-8.
func call(t *testing.T, e *testenv.Env, method, path, token string, body any, headers ...string) *testenv.Response {
	t.Helper()
	h := []string{"X-Auth-Token", token}
	if body != nil {
		h = append(h, "Content-Type", "application/json;charset=UTF-8")
	}
	return e.Do(t, method, path, "", body, append(h, headers...)...)
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkAsset checks that a has exactly the documented fields.
func checkAsset(t *testing.T, a map[string]any) {
	t.Helper()
	want := slices.Clone(assetFields)
	slices.Sort(want)
	if got := keys(a); !slices.Equal(got, want) {
		t.Errorf("asset fields = %v, want %v", got, want)
	}
}

// configOf decodes an asset's config string.
func configOf(t *testing.T, a map[string]any) map[string]any {
	t.Helper()
	s, ok := a["config"].(string)
	if !ok {
		t.Fatalf("config is %T, want a string", a["config"])
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("config %q: %v", s, err)
	}
	return m
}

// wantError checks a SecMaster error answer: status, code, and a message holding msg.
func wantError(t *testing.T, r *testenv.Response, status int, code, msg string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	m := r.Map(t)
	if got := keys(m); !slices.Equal(got, []string{"code", "message"}) {
		t.Errorf("error fields = %v, want [code message]", got)
	}
	if m["code"] != code {
		t.Errorf("code = %v, want %s (body %s)", m["code"], code, r.Body)
	}
	if s, _ := m["message"].(string); s == "" || !strings.Contains(s, msg) {
		t.Errorf("message = %q, want it to contain %q", s, msg)
	}
}

// createKafka creates a Kafka connection through SecMaster and returns its asset.
func createKafka(t *testing.T, e *testenv.Env, ws, token, name string, cfg map[string]any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	r := call(t, e, "POST", soc(ws)+"/assetcredentials", token, map[string]any{
		"name": name, "description": "d " + name, "component_id": seedComponent,
		"component_version_id": seedVersion, "config": string(raw),
	})
	if r.Status != http.StatusOK {
		t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
	}
	return r.Map(t)["asset"].(map[string]any)
}

// nativeSecrets reads a connection's config in clear through the native credentials endpoint.
func nativeSecrets(t *testing.T, e *testenv.Env, ws, id string) map[string]any {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/"+ws+"/connections/"+id+"/credentials", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("native credentials: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["config"].(map[string]any)
}
