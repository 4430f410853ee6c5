package versori

import (
	"encoding/json"
	"time"
)

// Wire types of Versori's Connect API v1 (versori-connect-v1-openapi.yaml): camelCase,
// RFC 3339 times, credential data redacted by type.

// variableJSON is ConnectionVariable.
type variableJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// variableIn is a ConnectionVariable as received: both properties are required.
type variableIn struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// connectionCreateJSON is ConnectionCreate.
type connectionCreateJSON struct {
	Name        *string                `json:"name"`
	Credentials *credentialsCreateJSON `json:"credentials"`
	Variables   *[]variableIn          `json:"variables"`
}

// credentialsCreateJSON is ConnectionCredentialsCreate.
type credentialsCreateJSON struct {
	Action  []connectionCredentialCreateJSON `json:"action"`
	Trigger []connectionCredentialCreateJSON `json:"trigger"`
}

// connectionCredentialCreateJSON is ConnectionCredentialCreate: an AuthSchemeConfig with a
// credential to create ({name, type, data}) or a reference to an existing one ({id}).
type connectionCredentialCreateJSON struct {
	AuthSchemeConfig json.RawMessage       `json:"authSchemeConfig"`
	Credential       *credentialCreateJSON `json:"credential"`
}

// credentialCreateJSON is CredentialCreate, or the InferredReference {id} the docs describe.
type credentialCreateJSON struct {
	ID   *string         `json:"id"`
	Name *string         `json:"name"`
	Type *string         `json:"type"`
	Data json.RawMessage `json:"data"`
}

// connectionUpdateJSON is ConnectionUpdate. The read-only properties of a Connection are
// accepted and ignored, so a client can send back what it read.
type connectionUpdateJSON struct {
	ID          *string                `json:"id"`
	Name        *string                `json:"name"`
	Credentials *credentialsUpdateJSON `json:"credentials"`
	Variables   *[]variableIn          `json:"variables"`
	CreatedAt   json.RawMessage        `json:"createdAt"`
	UpdatedAt   json.RawMessage        `json:"updatedAt"`
}

// credentialsUpdateJSON is ConnectionCredentialsUpdate.
type credentialsUpdateJSON struct {
	Action  []connectionCredentialUpdateJSON `json:"action"`
	Trigger []connectionCredentialUpdateJSON `json:"trigger"`
}

// connectionCredentialUpdateJSON is ConnectionCredentialUpdate (plus the read-only credential
// of a ConnectionCredential, ignored).
type connectionCredentialUpdateJSON struct {
	ID               *string         `json:"id"`
	AuthSchemeConfig json.RawMessage `json:"authSchemeConfig"`
	Credential       json.RawMessage `json:"credential"`
}

// credentialUpdateJSON is the UpdateCredential body: a Credential; only name and data change.
type credentialUpdateJSON struct {
	ID             *string         `json:"id"`
	OrganisationID json.RawMessage `json:"organisationId"`
	Type           *string         `json:"type"`
	Name           *string         `json:"name"`
	Data           json.RawMessage `json:"data"`
	Usages         json.RawMessage `json:"usages"`
	Errors         json.RawMessage `json:"errors"`
	ExpiresAt      json.RawMessage `json:"expiresAt"`
	CreatedAt      json.RawMessage `json:"createdAt"`
	UpdatedAt      json.RawMessage `json:"updatedAt"`
}

// connectionJSON is Connection.
type connectionJSON struct {
	ID          string                    `json:"id"`
	Name        string                    `json:"name"`
	Credentials connectionCredentialsJSON `json:"credentials"`
	Variables   []variableJSON            `json:"variables"`
	CreatedAt   time.Time                 `json:"createdAt"`
	UpdatedAt   time.Time                 `json:"updatedAt"`
}

// connectionCredentialsJSON is ConnectionCredentials; both slots are always present.
type connectionCredentialsJSON struct {
	Action  []connectionCredentialJSON `json:"action"`
	Trigger []connectionCredentialJSON `json:"trigger"`
}

// connectionCredentialJSON is ConnectionCredential. Its id is the credential's: the core keeps
// no row between a connection and a credential.
type connectionCredentialJSON struct {
	ID               string         `json:"id"`
	AuthSchemeConfig map[string]any `json:"authSchemeConfig"`
	Credential       credentialJSON `json:"credential"`
}

// credentialJSON is Credential, its data redacted.
type credentialJSON struct {
	ID             string         `json:"id"`
	OrganisationID string         `json:"organisationId"`
	Type           string         `json:"type"`
	Name           string         `json:"name"`
	Data           map[string]any `json:"data"`
}

// connectionSummaryJSON is ConnectionSummary.
type connectionSummaryJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// pageJSON is ConnectorConnectionPage: PageInfo plus items.
type pageJSON struct {
	TotalCount int                     `json:"totalCount"`
	Next       string                  `json:"next,omitempty"`
	Prev       string                  `json:"prev,omitempty"`
	Items      []connectionSummaryJSON `json:"items"`
}
