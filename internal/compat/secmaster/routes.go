// Package secmaster serves Huawei Cloud SecMaster's operation-connection API ("asset
// credentials") and its plugin ("component") catalog over the core:
//
//	POST   /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials
//	GET    /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials
//	GET    /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}
//	PUT    /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}
//	DELETE /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}
//	GET    /v1/{project_id}/workspaces/{workspace_id}/soc/components
//	GET    /v1/{project_id}/workspaces/{workspace_id}/soc/components/{component_id}
//
// project_id is the tenant and workspace_id the workspace: a workspace of another tenant is
// not found. An operation connection is a Connection; a component is a Connector and its
// versions, named by UUIDs (see convert.go). The adapter only translates: the config string is
// parsed here and validated, split and sealed by the service.
package secmaster

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// Adapter serves the SecMaster routes over a Service.
type Adapter struct {
	svc *switchboard.Service
}

// New returns the SecMaster adapter over svc.
func New(svc *switchboard.Service) *Adapter { return &Adapter{svc: svc} }

const (
	base  = "/v1/{project_id}/workspaces/{workspace_id}/soc"
	asset = base + "/assetcredentials/{asset_id}"
)

// Routes lists the SecMaster routes. Each accepts a request signed with an access key
// (SDK-HMAC-SHA256, as Huawei's SDKs sign) or reads the caller's credential from
// "Authorization: Bearer" or, as Huawei clients send it, X-Auth-Token, and answers failures
// (a 401 included) in SecMaster's error body.
func (a *Adapter) Routes() []httpx.Route {
	r := func(method, path string, h func(http.ResponseWriter, *http.Request) error) httpx.Route {
		return httpx.Route{
			Method: method, Path: path, Token: httpx.TokenHuaweiOrBearerOrXAuthToken, WriteError: writeError,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := h(w, r); err != nil {
					writeError(w, r, err)
				}
			}),
		}
	}
	return []httpx.Route{
		r("POST", base+"/assetcredentials", a.createAsset),
		r("GET", base+"/assetcredentials", a.listAssets),
		r("GET", asset, a.getAsset),
		r("PUT", asset, a.updateAsset),
		r("DELETE", asset, a.deleteAsset),
		r("GET", base+"/components", a.listComponents),
		r("GET", base+"/components/{component_id}", a.getComponent),
	}
}

// workspace authorizes the caller in the path's workspace and checks it belongs to the path's
// project (tenant): a workspace of another tenant is not found, like one that does not exist.
func (a *Adapter) workspace(r *http.Request) (*switchboard.Workspace, error) {
	ws, err := a.svc.GetWorkspace(r.Context(), r.PathValue("workspace_id"))
	if err != nil {
		return nil, err
	}
	if ws.TenantID != r.PathValue("project_id") {
		return nil, switchboard.NotFound("workspace")
	}
	return ws, nil
}
