package secmaster_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// seedAsset is the seed page's example create request (the Kafka plugin) with config, the
// JSON-in-a-string, replaced.
func seedAsset(name, config string) []byte {
	b, _ := json.Marshal(map[string]any{
		"name": name, "description": "description", "component_id": seedComponent,
		"component_version_id": seedVersion, "config": config,
	})
	return b
}

// The operations of FuzzSecMasterRequest, chosen by its first argument.
const (
	smCreate         = iota // POST assetcredentials, body fuzzed
	smCreateConfig          // POST assetcredentials, the seed body with config = s
	smUpdate                // PUT assetcredentials/{id}, body fuzzed
	smUpdateConfig          // PUT assetcredentials/{id}, the seed body with config = s
	smListAssets            // GET assetcredentials?s
	smListComponents        // GET components?s
	smOps
)

// FuzzSecMasterRequest drives the SecMaster asset routes of a real server on SQLite with
// fuzzed bodies, fuzzed config strings (JSON inside a JSON string) and fuzzed list queries. No
// input may panic or get a 5xx; every refusal is a 4xx in SecMaster's error body,
// {"code":"SecMaster.2004xxxx","message":"..."}.
func FuzzSecMasterRequest(f *testing.F) {
	e := testenv.New(f, "sqlite")
	const cfg = `{"password":"******","kafkaAddr":"aaa","keyStorePassword":"******","userName":"bbb"}`
	assets := soc("default") + "/assetcredentials"
	r := e.Do(f, "POST", assets, "", seedAsset("fuzz-target", `{"kafkaAddr":"127.0.0.1:9092","userName":"u","password":"p"}`),
		"X-Auth-Token", e.OwnerKey)
	if r.Status != http.StatusOK {
		f.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.Map(f)["asset"].(map[string]any)["id"].(string)
	for _, s := range []struct {
		op   uint8
		s    string
		body []byte
	}{
		{smCreate, "", seedAsset("test_create", cfg)},
		{smCreate, "", []byte(sdkCreate)},
		{smCreate, "", []byte(`{"name":"x","component_id":"` + seedComponent + `","component_version_id":"` + seedVersion + `","config":{"kafkaAddr":"a"}}`)},
		{smCreate, "", []byte(`{"name":"","component_id":"nope","component_version_id":"","config":""}`)},
		{smCreateConfig, cfg, nil},
		{smCreateConfig, `{"kafkaAddr":"a","userName":"u","password":"p","extra":1}`, nil},
		{smCreateConfig, `{"kafkaAddr":["a"],"password":{"$ref":"x"}}`, nil},
		{smCreateConfig, `{"kafkaAddr":"a"} {"x":1}`, nil},
		{smCreateConfig, `{"kafkaAddr":"a","kafkaAddr":"b"}`, nil},
		{smCreateConfig, `null`, nil},
		{smCreateConfig, `"\ud800"`, nil},
		{smCreateConfig, strings.Repeat("[", 10000), nil},
		{smUpdate, "", []byte(sdkUpdate)},
		{smUpdate, "", seedAsset("renamed", `{"kafkaAddr":"b","userName":"u","password":"******"}`)},
		{smUpdateConfig, `{"kafkaAddr":"b","userName":"u","password":"******"}`, nil},
		{smListAssets, "offset=0&limit=10&name=fuzz&sort_key=create_time&sort_dir=desc", nil},
		{smListAssets, "offset=-1&limit=100000&is_defense_type=maybe&component_name=kafka", nil},
		{smListAssets, "limit=1&offset=99999999999999999999", nil},
		{smListComponents, "offset=0&limit=5", nil},
		{smListComponents, "offset=x&limit=%zz", nil},
	} {
		f.Add(s.op, s.s, s.body)
	}
	h := e.Server.Handler()
	f.Fuzz(func(t *testing.T, op uint8, s string, body []byte) {
		var req *http.Request
		switch op % smOps {
		case smCreate, smCreateConfig:
			if op%smOps == smCreateConfig {
				body = seedAsset("fuzz", s)
			}
			req = httptest.NewRequestWithContext(t.Context(), "POST", assets, bytes.NewReader(body))
		case smUpdate, smUpdateConfig:
			if op%smOps == smUpdateConfig {
				body = seedAsset("fuzz-target", s)
			}
			req = httptest.NewRequestWithContext(t.Context(), "PUT", assets+"/"+id, bytes.NewReader(body))
		case smListAssets:
			req = httptest.NewRequestWithContext(t.Context(), "GET", assets, nil)
			req.URL.RawQuery = s
		case smListComponents:
			req = httptest.NewRequestWithContext(t.Context(), "GET", soc("default")+"/components", nil)
			req.URL.RawQuery = s
		}
		if req.Method != "GET" {
			req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		}
		req.Header.Set("X-Auth-Token", e.OwnerKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkSecMaster(t, w)
	})
}

// checkSecMaster fails t unless w is a success or a 4xx with exactly SecMaster's code and
// message, the code one of the SecMaster.2004xxxx family.
func checkSecMaster(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 2 || body["message"] == "" ||
		!strings.HasPrefix(body["code"], "SecMaster.2004") {
		t.Fatalf("status %d: not the SecMaster error body: %s", w.Code, w.Body)
	}
}
