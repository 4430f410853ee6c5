package versori

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// schemeTypeOf reads schemeType from an AuthSchemeConfig's compact JSON.
func schemeTypeOf(config string) any {
	var m map[string]any
	_ = json.Unmarshal([]byte(config), &m)
	return m["schemeType"]
}

// updateCredential serves UpdateCredential, the only way to change a credential's secret
// data: the body is a Credential; its name and data replace the stored ones (a redacted value
// sent back as read keeps the stored secret), its type cannot change.
func (h *Handler) updateCredential(w http.ResponseWriter, r *http.Request) error {
	ctx, org, id := r.Context(), r.PathValue("organisation_id"), r.PathValue("credential_id")
	var in credentialUpdateJSON
	if err := httpx.DecodeJSON(w, r, &in, 0); err != nil {
		return err
	}
	switch {
	case in.ID == nil:
		return invalid("id", "required")
	case *in.ID != id:
		return invalid("id", "invalid")
	case in.Type == nil:
		return invalid("type", "required")
	case in.Name == nil:
		return invalid("name", "required")
	}
	cr, err := h.svc.GetCredential(ctx, org, id)
	if err != nil {
		return err
	}
	name, t := typeOf(cr)
	if *in.Type != name {
		return invalid("type", "read_only")
	}
	data, err := dataIn(t, in.Data, "data")
	if err != nil {
		return err
	}
	patch := switchboard.CredentialPatch{Name: in.Name, Data: map[string]*string{}}
	if t.opaque {
		for k := range cr.Data {
			if !strings.HasPrefix(k, "_versori_") {
				patch.Data[k] = nil
			}
		}
		for k, v := range data {
			patch.Data[k] = &v
		}
	} else {
		for _, f := range t.fields {
			if v, ok := data[f.core]; ok {
				patch.Data[f.core] = &v
			} else if _, had := cr.Data[f.core]; had {
				patch.Data[f.core] = nil
			}
		}
	}
	updated, err := h.svc.UpdateCredential(ctx, org, id, patch, 0)
	if err != nil {
		return renameFields(err, credentialField("", t))
	}
	httpx.WriteJSON(w, http.StatusOK, credentialOut(updated))
	return nil
}
