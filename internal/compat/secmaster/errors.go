package secmaster

import (
	"maps"
	"net/http"
	"slices"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

// errorBody is SecMaster's error response: {"code":"SecMaster.20041002","message":"..."}.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// vendorError is how one core code is answered.
type vendorError struct {
	status int
	code   string
}

// errorTable is the one table from core code to SecMaster status and code. SecMaster answers
// client errors with 400 (a missing connection included: SecMaster.20041002, the code
// Huawei's Terraform provider treats as "gone"); the other codes of the SecMaster.2004xxxx
// family are ours, chosen so the last digits recall the HTTP meaning.
var errorTable = map[switchboard.Code]vendorError{
	switchboard.CodeInvalid:            {http.StatusBadRequest, "SecMaster.20040001"},
	switchboard.CodeUnauthenticated:    {http.StatusUnauthorized, "SecMaster.20040101"},
	switchboard.CodeForbidden:          {http.StatusForbidden, "SecMaster.20040301"},
	switchboard.CodeNotFound:           {http.StatusBadRequest, "SecMaster.20041002"},
	switchboard.CodeConflict:           {http.StatusBadRequest, "SecMaster.20040901"},
	switchboard.CodePreconditionFailed: {http.StatusBadRequest, "SecMaster.20041201"},
	switchboard.CodeTooLarge:           {http.StatusRequestEntityTooLarge, "SecMaster.20041301"},
	switchboard.CodeUnsupportedMedia:   {http.StatusUnsupportedMediaType, "SecMaster.20041501"},
	switchboard.CodeRateLimited:        {http.StatusTooManyRequests, "SecMaster.20042901"},
	switchboard.CodeInternal:           {http.StatusInternalServerError, "SecMaster.20045001"},
	switchboard.CodeUnavailable:        {http.StatusServiceUnavailable, "SecMaster.20045031"},
}

// Not-found and conflict codes by what was not found or what conflicted.
const (
	codeAssetNotFound     = "SecMaster.20041002"
	codeWorkspaceNotFound = "SecMaster.20041001"
	codeComponentNotFound = "SecMaster.20041003"
	codeInUse             = "SecMaster.20040902"
)

// fieldNames renames the core's field names to SecMaster's in error messages and details.
var fieldNames = map[string]string{
	"connection_name":   "name",
	"connector_id":      "component_id",
	"connector_version": "component_version_id",
}

// vendorCode returns the status and SecMaster code of e. On a route that names an asset, any
// not-found is the asset's (SecMaster.20041002): from the caller's view it is not there.
func vendorCode(r *http.Request, e *switchboard.Error) (int, string) {
	v, ok := errorTable[e.Code]
	if !ok {
		v = errorTable[switchboard.CodeInternal]
	}
	switch {
	case e.Code == switchboard.CodeNotFound && r.PathValue("asset_id") == "":
		switch e.Args["Kind"] {
		case "workspace":
			v.code = codeWorkspaceNotFound
		case "connector":
			v.code = codeComponentNotFound
		}
	case e.Code == switchboard.CodeConflict && e.Message == "connection.in_use":
		v.code = codeInUse
	}
	return v.status, v.code
}

// rename returns e with the core's field names replaced by SecMaster's.
func rename(e *switchboard.Error) *switchboard.Error {
	out := *e
	if f, ok := e.Args["Field"].(string); ok {
		if n, ok := fieldNames[f]; ok {
			out.Args = maps.Clone(e.Args)
			out.Args["Field"] = n
		}
	}
	if len(e.Details) > 0 {
		out.Details = slices.Clone(e.Details)
		for i, d := range out.Details {
			if n, ok := fieldNames[d.Field]; ok {
				out.Details[i].Field = n
			}
		}
	}
	return &out
}

// writeError writes err as SecMaster's error body, its message localized by Accept-Language.
// Only what httpx.SafeError lets through reaches the client.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := rename(httpx.SafeError(r, err))
	status, code := vendorCode(r, e)
	h := w.Header()
	h.Set("Content-Language", i18n.Match(r.Header.Get("Accept-Language")).String())
	h.Add("Vary", "Accept-Language")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "1")
	}
	httpx.WriteJSON(w, status, errorBody{Code: code, Message: httpx.Message(r, e)})
}
