package huawei

import (
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// accessKey issues an access-key pair for workspace "default" (owner, credentials:read) and
// returns its id (AK) and secret (SK), as an operator would hand them to a Huawei SDK user.
func accessKey(t *testing.T, e *testenv.Env) (ak, sk string) {
	t.Helper()
	ctx := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(project))
	k, secret, err := e.Service.CreateAccessKey(ctx, switchboard.APIKeyInput{
		WorkspaceID: workspace, Role: switchboard.RoleOwner, Scopes: []string{switchboard.ScopeCredentialsRead},
		Name: "huawei sdk test",
	})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	if k.ID == "" || secret.Reveal() == "" {
		t.Fatalf("CreateAccessKey returned an empty pair: %q", k.ID)
	}
	return k.ID, secret.Reveal()
}
