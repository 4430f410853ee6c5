package huawei

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	secmaster "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/secmaster/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/secmaster/v1/model"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The seed page's Kafka plugin, the tenant (SecMaster's project) and workspace of testenv.
const (
	kafkaComponent = "ad93ecc6-1723-4c2c-9976-9eb0182c2d18"
	kafkaVersion   = "33fd1b37-1f39-4230-86c6-2d119e9f4fac"
	project        = "default"
	workspace      = "default"
	mask           = "******"
)

// seen is what the server received of one request.
type seen struct {
	method, path                            string
	authorization, xAuthToken, date, projID string
}

// recorder is Switchboard's handler with every request's auth headers noted on the way in.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []seen
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, seen{
		method: r.Method, path: r.URL.Path, authorization: r.Header.Get("Authorization"),
		xAuthToken: r.Header.Get("X-Auth-Token"), date: r.Header.Get("X-Sdk-Date"), projID: r.Header.Get("X-Project-Id"),
	})
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) requests() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.reqs...)
}

// serve starts e's handler behind a recorder and returns its URL.
func serve(t *testing.T, e *testenv.Env) (string, *recorder) {
	t.Helper()
	rec := &recorder{next: e.Server.Handler()}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

// client builds the SDK's SecMaster client exactly as a Huawei user does, pointed at url
// instead of a region's endpoint.
func client(t *testing.T, url, ak, sk string) *secmaster.SecMasterClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(project).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := secmaster.SecMasterClientBuilder().
		WithEndpoints([]string{url}).
		WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second)).
		SafeBuild()
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return secmaster.NewSecMasterClient(hc)
}

// serviceError returns err as the SDK's error for a non-2xx answer.
func serviceError(t *testing.T, err error) *sdkerr.ServiceResponseError {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *sdkerr.ServiceResponseError", err, err)
	}
	return se
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// assetConfig decodes an asset's config string.
func assetConfig(t *testing.T, a *model.AssetInfoResponseBody) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(str(a.Config)), &m); err != nil {
		t.Fatalf("config %q: %v", str(a.Config), err)
	}
	return m
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// checkAsset checks the fields every asset of this test has, as the SDK decoded them.
func checkAsset(t *testing.T, a *model.AssetInfoResponseBody, id, name, desc string) {
	t.Helper()
	if a == nil {
		t.Fatal("asset missing")
	}
	for field, got := range map[string]*string{
		"name": a.Name, "description": a.Description, "project_id": a.ProjectId, "workspace_id": a.WorkspaceId,
		"component_id": a.ComponentId, "component_version_id": a.ComponentVersionId,
		"component_name": a.ComponentName, "type": a.Type, "status": a.Status,
	} {
		want := map[string]string{
			"name": name, "description": desc, "project_id": project, "workspace_id": workspace,
			"component_id": kafkaComponent, "component_version_id": kafkaVersion,
			"component_name": "Apache Kafka", "type": "action_target", "status": "SUCCESS",
		}[field]
		if str(got) != want {
			t.Errorf("asset %s = %q, want %q", field, str(got), want)
		}
	}
	if id != "" && str(a.Id) != id {
		t.Errorf("asset id = %q, want %q", str(a.Id), id)
	}
	if a.Enabled == nil || !*a.Enabled {
		t.Errorf("enabled = %v, want true", a.Enabled)
	}
	if a.CanBeDeleted == nil || !*a.CanBeDeleted {
		t.Errorf("can_be_deleted = %v, want true", a.CanBeDeleted)
	}
	if str(a.CreatorId) == "" || str(a.ModifierId) != str(a.CreatorId) {
		t.Errorf("creator/modifier = %q/%q", str(a.CreatorId), str(a.ModifierId))
	}
	for field, v := range map[string]*string{"create_time": a.CreateTime, "update_time": a.UpdateTime} {
		if _, err := time.Parse(time.RFC3339, str(v)); err != nil {
			t.Errorf("%s = %q: %v", field, str(v), err)
		}
	}
}

// TestSecMasterSDK drives the Huawei Cloud Go SDK (services/secmaster/v1), signing every
// request with an access-key pair (SDK-HMAC-SHA256), through the operation-connection
// lifecycle of the seed page: list the plugins, create the Kafka connection, list, show,
// update, delete, show again.
func TestSecMasterSDK(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			ak, sk := accessKey(t, e)
			url, rec := serve(t, e)
			c := client(t, url, ak, sk)
			name := "sb-sdk-" + driver + "-" + time.Now().UTC().Format("20060102T150405")

			comps, err := c.ListComponents(&model.ListComponentsRequest{
				WorkspaceId: workspace, Limit: ptr(int32(10)), Offset: ptr(int32(0)),
			})
			if err != nil {
				t.Fatalf("ListComponents: %v", err)
			}
			if comps.HttpStatusCode != 200 || str(comps.Code) != "00000000" || comps.Success == nil || !*comps.Success ||
				comps.Total == nil || *comps.Total < 1 || comps.Data == nil {
				t.Fatalf("ListComponents = %+v", comps)
			}
			var kafka *model.ComponentInfo
			for i, comp := range *comps.Data {
				if str(comp.Id) == kafkaComponent {
					kafka = &(*comps.Data)[i]
				}
			}
			if kafka == nil {
				t.Fatalf("the Kafka plugin %s is not among %d components", kafkaComponent, len(*comps.Data))
			}
			if str(kafka.Name) != "Apache Kafka" || str(kafka.ComponentType) != "system" || kafka.Versions == nil ||
				len(*kafka.Versions) != 1 || str((*kafka.Versions)[0].Id) != kafkaVersion ||
				str((*kafka.Versions)[0].VersionNum) != "1.0.0" {
				t.Errorf("Kafka plugin = %+v", kafka)
			} else {
				var schema struct {
					Properties map[string]any `json:"properties"`
				}
				cc := str((*kafka.Versions)[0].ConnectionConfig)
				if err := json.Unmarshal([]byte(cc), &schema); err != nil || schema.Properties["kafkaAddr"] == nil {
					t.Errorf("connection_config = %s (%v)", cc, err)
				}
			}

			// Create, as the seed page's example does, with a password in clear.
			created, err := c.CreateConnection(&model.CreateConnectionRequest{
				WorkspaceId: workspace, ContentType: "application/json;charset=UTF-8",
				Body: &model.CreateAssetsRequestBody{
					Name: name, Description: ptr("switchboard sdk test"), ComponentId: kafkaComponent,
					ComponentVersionId: kafkaVersion,
					Config:             `{"kafkaAddr":"127.0.0.1:9092","userName":"sb-sdk","password":"sb-sdk-secret"}`,
				},
			})
			if err != nil {
				t.Fatalf("CreateConnection: %v", err)
			}
			if created.HttpStatusCode != 200 || str(created.Code) != "00000000" || str(created.Message) != "" {
				t.Errorf("CreateConnection code/message = %q/%q (%d)", str(created.Code), str(created.Message), created.HttpStatusCode)
			}
			checkAsset(t, created.Asset, "", name, "switchboard sdk test")
			id := str(created.Asset.Id)
			if id == "" || created.Asset.Id == nil {
				t.Fatal("created asset has no id")
			}
			wantConfig := map[string]any{"kafkaAddr": "127.0.0.1:9092", "userName": "sb-sdk", "password": mask}
			if got := assetConfig(t, created.Asset); !sameJSON(got, wantConfig) {
				t.Errorf("created config = %v, want %v", got, wantConfig)
			}
			if got := nativePassword(t, e, id); got != "sb-sdk-secret" {
				t.Errorf("stored password = %q, want the one sent", got)
			}

			// List by name.
			list, err := c.ListConnections(&model.ListConnectionsRequest{
				WorkspaceId: workspace, ContentType: "application/json", Name: ptr(name),
				Limit: ptr(int32(10)), Offset: ptr(int32(0)),
			})
			if err != nil {
				t.Fatalf("ListConnections: %v", err)
			}
			if str(list.Code) != "00000000" || list.Total == nil || *list.Total != 1 || list.Asset == nil || len(*list.Asset) != 1 {
				t.Fatalf("ListConnections = %+v", list)
			}
			checkAsset(t, &(*list.Asset)[0], id, name, "switchboard sdk test")

			// Show.
			shown, err := c.ShowConnection(&model.ShowConnectionRequest{
				WorkspaceId: workspace, ContentType: "application/json;charset=UTF-8", AssetId: id,
			})
			if err != nil {
				t.Fatalf("ShowConnection: %v", err)
			}
			if str(shown.Code) != "00000000" {
				t.Errorf("ShowConnection code = %q", str(shown.Code))
			}
			checkAsset(t, shown.Asset, id, name, "switchboard sdk test")
			if got := assetConfig(t, shown.Asset); !sameJSON(got, wantConfig) {
				t.Errorf("shown config = %v, want %v", got, wantConfig)
			}

			// Update: rename, and send the password back masked, as the console does; the
			// stored secret is kept.
			updated, err := c.UpdateConnection(&model.UpdateConnectionRequest{
				WorkspaceId: workspace, ContentType: "application/json;charset=UTF-8", AssetId: id,
				Body: &model.CreateAssetsRequestBody{
					Name: name + "-upd", Description: ptr("switchboard sdk test (updated)"), ComponentId: kafkaComponent,
					ComponentVersionId: kafkaVersion,
					Config:             `{"kafkaAddr":"127.0.0.2:9092","userName":"sb-sdk","password":"******"}`,
				},
			})
			if err != nil {
				t.Fatalf("UpdateConnection: %v", err)
			}
			if str(updated.Code) != "00000000" {
				t.Errorf("UpdateConnection code = %q", str(updated.Code))
			}
			checkAsset(t, updated.Asset, id, name+"-upd", "switchboard sdk test (updated)")
			wantConfig["kafkaAddr"] = "127.0.0.2:9092"
			if got := assetConfig(t, updated.Asset); !sameJSON(got, wantConfig) {
				t.Errorf("updated config = %v, want %v", got, wantConfig)
			}
			if str(updated.Asset.UpdateTime) < str(updated.Asset.CreateTime) {
				t.Errorf("update_time %s before create_time %s", str(updated.Asset.UpdateTime), str(updated.Asset.CreateTime))
			}
			if got := nativePassword(t, e, id); got != "sb-sdk-secret" {
				t.Errorf("stored password after a masked update = %q, want it kept", got)
			}

			// Show after the update.
			shown, err = c.ShowConnection(&model.ShowConnectionRequest{WorkspaceId: workspace, AssetId: id})
			if err != nil {
				t.Fatalf("ShowConnection after update: %v", err)
			}
			checkAsset(t, shown.Asset, id, name+"-upd", "switchboard sdk test (updated)")

			// Delete.
			deleted, err := c.DeleteConnection(&model.DeleteConnectionRequest{
				WorkspaceId: workspace, ContentType: "application/json;charset=UTF-8", AssetId: id,
			})
			if err != nil {
				t.Fatalf("DeleteConnection: %v", err)
			}
			if deleted.HttpStatusCode != 200 || str(deleted.Code) != "00000000" || str(deleted.Message) != "" {
				t.Errorf("DeleteConnection = %q/%q (%d)", str(deleted.Code), str(deleted.Message), deleted.HttpStatusCode)
			}

			// Show after the delete: SecMaster's "gone" error, decoded by the SDK.
			_, err = c.ShowConnection(&model.ShowConnectionRequest{WorkspaceId: workspace, AssetId: id})
			if err == nil {
				t.Fatal("ShowConnection after delete succeeded")
			}
			se := serviceError(t, err)
			if se.StatusCode != 400 || se.ErrorCode != "SecMaster.20041002" || !strings.Contains(se.ErrorMessage, "not found") {
				t.Errorf("ShowConnection after delete: status %d code %q message %q, want 400 SecMaster.20041002 ...not found...",
					se.StatusCode, se.ErrorCode, se.ErrorMessage)
			}

			// Every call reached the server signed with the access key, and only that.
			reqs := rec.requests()
			if len(reqs) != 8 {
				t.Errorf("server saw %d requests, want 8 (one per SDK call)", len(reqs))
			}
			for _, r := range reqs {
				if !strings.HasPrefix(r.authorization, "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders=") ||
					!strings.Contains(r.authorization, ", Signature=") || r.xAuthToken != "" ||
					r.projID != project || r.date == "" {
					t.Errorf("%s %s: Authorization %q X-Auth-Token %q X-Project-Id %q X-Sdk-Date %q",
						r.method, r.path, r.authorization, r.xAuthToken, r.projID, r.date)
				}
				if !strings.HasPrefix(r.path, "/v1/"+project+"/workspaces/"+workspace+"/soc/") {
					t.Errorf("unexpected path %s", r.path)
				}
			}
		})
	}
}

// TestSecMasterSDKRefused: the SDK signing with a wrong secret key, with an access key
// Switchboard never issued or with a revoked one is refused with SecMaster's 401, and a valid
// key pointed at another workspace gets SecMaster's not-found; the SDK reports each as its
// typed error, and nothing is created.
func TestSecMasterSDKRefused(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			e.Workspace(t, "ws-b")
			ak, sk := accessKey(t, e)
			revokedAK, revokedSK := accessKey(t, e)
			ctx := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(project))
			if err := e.Service.RevokeAccessKey(ctx, workspace, revokedAK); err != nil {
				t.Fatalf("RevokeAccessKey: %v", err)
			}
			url, rec := serve(t, e)
			for _, tc := range []struct {
				name, ak, sk, ws string
				status           int
				code             string
			}{
				{"wrong secret key", ak, wrongSK(sk), workspace, 401, "SecMaster.20040101"},
				{"unknown access key", "SBAKUNKNOWN000000000", sk, workspace, 401, "SecMaster.20040101"},
				{"revoked access key", revokedAK, revokedSK, workspace, 401, "SecMaster.20040101"},
				{"key of another workspace", ak, sk, "ws-b", 400, "SecMaster.20041001"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := client(t, url, tc.ak, tc.sk)
					_, err := c.ListComponents(&model.ListComponentsRequest{WorkspaceId: tc.ws})
					if err == nil {
						t.Fatal("ListComponents succeeded")
					}
					se := serviceError(t, err)
					if se.StatusCode != tc.status || se.ErrorCode != tc.code || se.ErrorMessage == "" {
						t.Errorf("ListComponents: status %d code %q message %q, want %d %s",
							se.StatusCode, se.ErrorCode, se.ErrorMessage, tc.status, tc.code)
					}
					_, err = c.CreateConnection(&model.CreateConnectionRequest{
						WorkspaceId: tc.ws, ContentType: "application/json;charset=UTF-8",
						Body: &model.CreateAssetsRequestBody{
							Name: "refused", ComponentId: kafkaComponent, ComponentVersionId: kafkaVersion,
							Config: `{"kafkaAddr":"127.0.0.1:9092","userName":"x","password":"y"}`,
						},
					})
					if err == nil {
						t.Fatal("CreateConnection succeeded")
					}
					if se := serviceError(t, err); se.StatusCode != tc.status || se.ErrorCode != tc.code {
						t.Errorf("CreateConnection: status %d code %q, want %d %s", se.StatusCode, se.ErrorCode, tc.status, tc.code)
					}
				})
			}
			for _, r := range rec.requests() {
				if !strings.HasPrefix(r.authorization, "SDK-HMAC-SHA256 Access=") {
					t.Errorf("%s %s was not signed: %q", r.method, r.path, r.authorization)
				}
			}
			// Nothing was created by the refused calls, in either workspace.
			for _, ws := range []string{workspace, "ws-b"} {
				r := e.Do(t, "GET", "/v1/"+project+"/workspaces/"+ws+"/soc/assetcredentials?name=refused", e.OwnerKey, nil)
				var out struct {
					Total *int `json:"total"`
				}
				r.JSON(t, &out)
				if r.Status != http.StatusOK || out.Total == nil || *out.Total != 0 {
					t.Errorf("%s after the refused calls: %d %s", ws, r.Status, r.Body)
				}
			}
		})
	}
}

// wrongSK returns sk with its last character changed.
func wrongSK(sk string) string {
	last := sk[len(sk)-1]
	if last == 'A' {
		return sk[:len(sk)-1] + "B"
	}
	return sk[:len(sk)-1] + "A"
}

// nativePassword reads a connection's password in clear through the native API.
func nativePassword(t *testing.T, e *testenv.Env, id string) string {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/"+workspace+"/connections/"+id+"/credentials", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("native credentials: %d %s", r.Status, r.Body)
	}
	var out struct {
		Config map[string]any `json:"config"`
	}
	r.JSON(t, &out)
	s, _ := out.Config["password"].(string)
	return s
}
