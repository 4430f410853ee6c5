package switchboard

import "time"

// CredentialType is the kind of a reusable credential.
type CredentialType string

// Credential types.
const (
	CredentialAPIKey CredentialType = "api_key"
	CredentialBasic  CredentialType = "basic"
	CredentialBearer CredentialType = "bearer"
	CredentialOAuth2 CredentialType = "oauth2"
	CredentialCustom CredentialType = "custom"
)

// Valid reports whether t is a known credential type.
func (t CredentialType) Valid() bool {
	switch t {
	case CredentialAPIKey, CredentialBasic, CredentialBearer, CredentialOAuth2, CredentialCustom:
		return true
	}
	return false
}

// ExternalRef points at a secret kept in an external secret manager instead of in Switchboard.
type ExternalRef struct {
	Provider string `json:"provider"` // aws_secrets_manager | azure_key_vault | gcp_secret_manager | hashicorp_vault | secrets_manager
	Ref      string `json:"ref"`      // ARN, key vault id, secret name or Vault path
}

// Credential is a reusable secret. Its values are sealed at rest; in the service they are
// held as Secrets in Data, in the store only as the Sealed ciphertext.
type Credential struct {
	ID          string
	WorkspaceID string
	Name        string
	Type        CredentialType
	Data        map[string]Secret // clear values; never given to a Store
	Sealed      []byte            // ciphertext of Data, what a Store keeps
	ExternalRef *ExternalRef
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CreatedBy   string
	UpdatedBy   string
	Revision    int64
	// Unreadable is set by the service's list when Sealed could not be opened (a corrupt row,
	// or one sealed under a key that is gone); Data is then empty. Never stored.
	Unreadable bool
}
