package unified

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// namePrefix starts the core name of a connection created here (Unified.to connections have
// no name, the core wants one unique per connector) and of the credential holding its vault
// reference.
const namePrefix = "unified-"

// workspace is the workspace a request acts in: Unified.to scopes everything by the
// workspace of the caller's API key. A principal bound to one workspace acts in it; one that
// may act in several (a tenant-wide key, a JWT) acts in "default", Unified.to having no way
// to name a workspace per request. fallback says which case it is.
func workspace(ctx context.Context) (id string, fallback bool, err error) {
	p := switchboard.PrincipalFrom(ctx)
	if p == nil {
		return "", false, switchboard.Errorf(switchboard.CodeUnauthenticated, "unauthenticated")
	}
	if len(p.Workspaces) == 1 && p.Workspaces[0] != switchboard.AllWorkspaces {
		return p.Workspaces[0], false, nil
	}
	if slices.Contains(p.Workspaces, switchboard.AllWorkspaces) || slices.Contains(p.Workspaces, "default") {
		return "default", true, nil
	}
	return "", true, switchboard.Errorf(switchboard.CodeInvalid, "unified.workspace_required")
}

// scoped runs fn in the caller's workspace. When the workspace was the "default" fallback and
// it is not the caller's, the answer is 400 (use a key bound to a workspace), not 404.
func scoped(r *http.Request, fn func(ctx context.Context, ws string) error) error {
	ws, fallback, err := workspace(r.Context())
	if err != nil {
		return err
	}
	err = fn(r.Context(), ws)
	if e, ok := errors.AsType[*switchboard.Error](err); ok && fallback && e.Code == switchboard.CodeNotFound && e.Args["Kind"] == "workspace" {
		return switchboard.Errorf(switchboard.CodeInvalid, "unified.workspace_required")
	}
	return err
}

// newName returns a fresh core name for a connection and its vault credential.
func newName() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return namePrefix + hex.EncodeToString(b[:])
}

// render looks up what a connection renders with and renders it.
type renderer struct {
	a          *API
	ws         string
	connectors map[string]*switchboard.ConnectorDefinition
}

func (a *API) renderer(ws string) *renderer {
	return &renderer{a: a, ws: ws, connectors: map[string]*switchboard.ConnectorDefinition{}}
}

func (rd *renderer) out(ctx context.Context, c *switchboard.Connection) (connectionJSON, error) {
	d, ok := rd.connectors[c.ConnectorID]
	if !ok {
		var err error
		if d, err = rd.a.svc.GetConnector(ctx, rd.ws, c.ConnectorID); err != nil {
			return connectionJSON{}, err
		}
		rd.connectors[c.ConnectorID] = d
	}
	v := view{key: d.Connector.Key, name: d.Connector.Name}
	creds, err := rd.a.vaultCredentials(ctx, rd.ws, c)
	if err != nil {
		return connectionJSON{}, err
	}
	for _, cred := range creds {
		if ref, ok := vaultRefOf(cred.ExternalRef); ok {
			v.vault = &ref
			break
		}
	}
	return connectionOut(c, v), nil
}

// vaultCredentials returns the action credentials of c that are external references: where
// its auth object is kept.
func (a *API) vaultCredentials(ctx context.Context, ws string, c *switchboard.Connection) ([]*switchboard.Credential, error) {
	var out []*switchboard.Credential
	for _, id := range c.Credentials.Action {
		cred, err := a.svc.GetCredential(ctx, ws, id)
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			continue // deleted meanwhile: nothing to show
		}
		if err != nil {
			return nil, err
		}
		if cred.ExternalRef != nil {
			out = append(out, cred)
		}
	}
	return out, nil
}

// vaultOf reads the vault reference of a body: nil when none is given. At most one place may
// be named; secretsmanager_key goes with secretsmanager_id.
func vaultOf(b body) (*vaultRef, error) {
	var got *vaultRef
	for _, f := range vaultFields {
		s, err := b.str(f.field)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		if got != nil {
			return nil, switchboard.Invalid(f.field, "invalid")
		}
		got = &vaultRef{field: f.field, value: s}
	}
	key, err := b.str("secretsmanager_key")
	if err != nil {
		return nil, err
	}
	switch {
	case key != "" && (got == nil || got.field != "secretsmanager_id"):
		return nil, switchboard.Invalid("secretsmanager_id", "required")
	case got != nil && got.field == "secretsmanager_id" && strings.Contains(got.value, "#"):
		return nil, switchboard.Invalid("secretsmanager_id", "pattern")
	case key != "":
		got.key = key
	}
	return got, nil
}

// vaultChanged reports whether a body touches the vault reference at all.
func vaultChanged(b body) bool {
	for _, f := range vaultFields {
		if b.present(f.field) {
			return true
		}
	}
	return b.present("secretsmanager_key")
}

// createVault stores a vault reference as a credential of the workspace.
func (a *API) createVault(ctx context.Context, ws string, v *vaultRef) (*switchboard.Credential, error) {
	cred, err := a.svc.CreateCredential(ctx, ws, switchboard.CredentialInput{
		Name: newName(), Type: switchboard.CredentialCustom, ExternalRef: v.externalRef(),
	})
	if e, ok := errors.AsType[*switchboard.Error](err); ok && e.Code == switchboard.CodeInvalid && len(e.Details) > 0 &&
		strings.HasPrefix(e.Details[0].Field, "external_ref") {
		return nil, switchboard.Invalid(v.field, e.Details[0].Reason)
	}
	return cred, err
}

// dropVault deletes credentials this API created for vault references once no connection
// uses them; a failure leaves an unused credential behind, never breaks the request.
func (a *API) dropVault(ctx context.Context, ws string, creds []*switchboard.Credential) {
	for _, c := range creds {
		if strings.HasPrefix(c.Name, namePrefix) {
			_ = a.svc.DeleteCredential(ctx, ws, c.ID)
		}
	}
}

func (a *API) create(w http.ResponseWriter, r *http.Request) error {
	b, err := decodeBody(w, r)
	if err != nil {
		return err
	}
	typ, err := b.str("integration_type")
	if err != nil {
		return err
	}
	in := switchboard.ConnectionInput{ConnectorID: typ, Name: newName()}
	if in.Permissions, err = b.strings("permissions"); err != nil {
		return err
	}
	if in.Categories, err = b.strings("categories"); err != nil {
		return err
	}
	if in.Config, err = b.auth(); err != nil {
		return err
	}
	env, err := b.str("environment")
	if err != nil {
		return err
	}
	in.Environment = envIn(env)
	if in.ExternalXref, err = b.str("external_xref"); err != nil {
		return err
	}
	vault, err := vaultOf(b)
	if err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(typ) == "":
		return switchboard.Invalid("integration_type", "required")
	case in.Permissions == nil:
		return switchboard.Invalid("permissions", "required")
	case in.Categories == nil:
		return switchboard.Invalid("categories", "required")
	}
	return scoped(r, func(ctx context.Context, ws string) error {
		var cred *switchboard.Credential
		if vault != nil {
			if cred, err = a.createVault(ctx, ws, vault); err != nil {
				return err
			}
			in.Credentials.Action = []string{cred.ID}
		}
		c, _, err := a.svc.CreateConnection(ctx, ws, in, "")
		if err != nil {
			if cred != nil {
				a.dropVault(ctx, ws, []*switchboard.Credential{cred})
			}
			return err
		}
		out, err := a.renderer(ws).out(ctx, c)
		if err != nil {
			return err
		}
		// Unified.to answers a create with 200, and its SDK expects exactly that.
		httpx.WriteJSON(w, http.StatusOK, out)
		return nil
	})
}

func (a *API) get(w http.ResponseWriter, r *http.Request) error {
	return scoped(r, func(ctx context.Context, ws string) error {
		c, err := a.svc.GetConnection(ctx, ws, r.PathValue("id"))
		if err != nil {
			return err
		}
		out, err := a.renderer(ws).out(ctx, c)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, out)
		return nil
	})
}

// defaultLimit is the page size of a list that names none.
const defaultLimit = 100

func intParam(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, switchboard.Invalid(name, "type")
	}
	if n < 0 {
		return 0, switchboard.Invalid(name, "minimum")
	}
	return n, nil
}

func (a *API) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f switchboard.ConnectionFilter
	var err error
	if f.Limit, err = intParam(r, "limit"); err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = defaultLimit
	}
	if f.Offset, err = intParam(r, "offset"); err != nil {
		return err
	}
	switch s := q.Get("sort"); s {
	case "", "id", "created_at":
	default:
		f.Sort = s // updated_at, name; the service refuses anything else
	}
	switch strings.ToLower(q.Get("order")) {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return switchboard.Invalid("order", "enum")
	}
	if s := q.Get("updated_gte"); s != "" {
		t, ok := parseTime(s)
		if !ok {
			return switchboard.Invalid("updated_gte", "format")
		}
		f.UpdatedFrom = t
	}
	var cats []string
	for _, v := range append(q["categories"], q["categories[]"]...) {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !slices.Contains(cats, c) {
				cats = append(cats, c)
			}
		}
	}
	switch len(cats) {
	case 0:
	case 1:
		f.Category = cats[0]
	default:
		// The core filters by one category; see the README.
		return switchboard.Invalid("categories", "max_items")
	}
	if env := q.Get("env"); env != "" {
		f.Environment = envIn(env)
	}
	f.ExternalXref = q.Get("external_xref")
	return scoped(r, func(ctx context.Context, ws string) error {
		items, _, err := a.svc.ListConnections(ctx, ws, f)
		if err != nil {
			return err
		}
		rd := a.renderer(ws)
		out := make([]connectionJSON, 0, len(items))
		for _, c := range items {
			o, err := rd.out(ctx, c)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		httpx.WriteJSON(w, http.StatusOK, out)
		return nil
	})
}

func (a *API) put(w http.ResponseWriter, r *http.Request) error   { return a.update(w, r, true) }
func (a *API) patch(w http.ResponseWriter, r *http.Request) error { return a.update(w, r, false) }

// update serves PUT (replace) and PATCH (merge). PUT sets every writable field from the body,
// absent ones to their defaults, except auth: an absent auth leaves the stored one alone, as
// a client that read a connection has only its masked values to send back. Auth values sent
// back masked keep the stored secret.
func (a *API) update(w http.ResponseWriter, r *http.Request, replace bool) error {
	b, err := decodeBody(w, r)
	if err != nil {
		return err
	}
	typ, err := b.str("integration_type")
	if err != nil {
		return err
	}
	var p switchboard.ConnectionPatch
	for _, f := range []struct {
		name string
		dst  **[]string
	}{{"permissions", &p.Permissions}, {"categories", &p.Categories}} {
		v, err := b.strings(f.name)
		if err != nil {
			return err
		}
		switch {
		case v != nil:
			*f.dst = &v
		case replace || b.present(f.name):
			return switchboard.Invalid(f.name, "required")
		}
	}
	if replace || b.present("environment") {
		env, err := b.str("environment")
		if err != nil {
			return err
		}
		if env = envIn(env); env == "" {
			env = switchboard.DefaultEnvironment
		}
		p.Environment = &env
	}
	if replace || b.present("external_xref") {
		x, err := b.str("external_xref")
		if err != nil {
			return err
		}
		p.ExternalXref = &x
	}
	auth, err := b.auth()
	if err != nil {
		return err
	}
	vault, err := vaultOf(b)
	if err != nil {
		return err
	}
	if replace && strings.TrimSpace(typ) == "" {
		return switchboard.Invalid("integration_type", "required")
	}
	return scoped(r, func(ctx context.Context, ws string) error {
		id := r.PathValue("id")
		cur, err := a.svc.GetConnection(ctx, ws, id)
		if err != nil {
			return err
		}
		rd := a.renderer(ws)
		before, err := rd.out(ctx, cur)
		if err != nil {
			return err
		}
		if typ != "" && typ != before.IntegrationType && typ != cur.ConnectorID {
			return switchboard.Invalid("integration_type", "read_only")
		}
		var rev int64 // 0: the service retries a concurrent change on the fresh copy
		switch {
		case b.present("auth") && auth == nil:
			p.Config, p.ReplaceConfig = map[string]any{}, true
		case auth != nil:
			p.Config = auth
			if replace {
				// Replace by merging: what the body leaves out is removed, what it sends
				// back masked is kept.
				for k := range cur.Config {
					if _, ok := auth[k]; !ok {
						p.Config[k] = nil
					}
				}
				for k := range cur.Secrets {
					if _, ok := auth[k]; !ok {
						p.Config[k] = nil
					}
				}
				rev = cur.Revision
			}
		}
		var added *switchboard.Credential
		var dropped []*switchboard.Credential
		if (replace || vaultChanged(b)) && !sameVault(vault, before) {
			old, err := a.vaultCredentials(ctx, ws, cur)
			if err != nil {
				return err
			}
			var action []string
			if vault != nil {
				if added, err = a.createVault(ctx, ws, vault); err != nil {
					return err
				}
				action = append(action, added.ID)
			}
			for _, cid := range cur.Credentials.Action {
				if !slices.ContainsFunc(old, func(c *switchboard.Credential) bool { return c.ID == cid }) {
					action = append(action, cid)
				}
			}
			p.Credentials = &switchboard.CredentialRefs{Action: action, Trigger: cur.Credentials.Trigger}
			dropped, rev = old, cur.Revision
		}
		c, err := a.svc.UpdateConnection(ctx, ws, id, p, rev)
		if err != nil {
			if added != nil {
				a.dropVault(ctx, ws, []*switchboard.Credential{added})
			}
			return err
		}
		a.dropVault(ctx, ws, dropped)
		out, err := rd.out(ctx, c)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, out)
		return nil
	})
}

// sameVault reports whether v is the vault reference the connection already renders.
func sameVault(v *vaultRef, cur connectionJSON) bool {
	var have vaultRef
	switch {
	case cur.AuthAWSARN != "":
		have = vaultRef{field: "auth_aws_arn", value: cur.AuthAWSARN}
	case cur.AuthAzureKeyvaultID != "":
		have = vaultRef{field: "auth_azure_keyvault_id", value: cur.AuthAzureKeyvaultID}
	case cur.AuthGCPSecretName != "":
		have = vaultRef{field: "auth_gcp_secret_name", value: cur.AuthGCPSecretName}
	case cur.AuthHashiVaultPath != "":
		have = vaultRef{field: "auth_hashi_vault_path", value: cur.AuthHashiVaultPath}
	case cur.SecretsmanagerID != "":
		have = vaultRef{field: "secretsmanager_id", value: cur.SecretsmanagerID, key: cur.SecretsmanagerKey}
	default:
		return v == nil
	}
	return v != nil && *v == have
}

// remove deletes a connection, and the vault reference credential created with it. Unified.to
// answers 200 with no body.
func (a *API) remove(w http.ResponseWriter, r *http.Request) error {
	return scoped(r, func(ctx context.Context, ws string) error {
		id := r.PathValue("id")
		cur, err := a.svc.GetConnection(ctx, ws, id)
		if err != nil {
			return err
		}
		creds, err := a.vaultCredentials(ctx, ws, cur)
		if err != nil {
			return err
		}
		if err := a.svc.DeleteConnection(ctx, ws, id, false); err != nil {
			return err
		}
		a.dropVault(ctx, ws, creds)
		w.WriteHeader(http.StatusOK)
		return nil
	})
}
