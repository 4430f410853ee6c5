package switchboard

import "time"

// Status is where a connection is in its lifecycle.
type Status string

// Statuses. PENDING on create; ACTIVE or FAILED after a health check (or ACTIVE when
// activated); DISABLED while enabled=false; PAUSED while paused; SUSPENDED until activated
// again; CLOSED for good. CONFIGURING is a connection whose setup is under way (an OAuth
// authorization not yet completed).
const (
	StatusPending     Status = "PENDING"
	StatusConfiguring Status = "CONFIGURING"
	StatusActive      Status = "ACTIVE"
	StatusFailed      Status = "FAILED"
	StatusSuspended   Status = "SUSPENDED"
	StatusClosed      Status = "CLOSED"
	StatusDisabled    Status = "DISABLED"
	StatusPaused      Status = "PAUSED"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusConfiguring, StatusActive, StatusFailed, StatusSuspended, StatusClosed,
		StatusDisabled, StatusPaused:
		return true
	}
	return false
}

// Variable is a named, non-secret value attached to a connection.
type Variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CredentialRefs lists the credentials a connection uses, by id, per slot, in order.
type CredentialRefs struct {
	Action  []string `json:"action"`
	Trigger []string `json:"trigger"`
}

// All returns every referenced credential id, action first.
func (r CredentialRefs) All() []string {
	return append(append([]string(nil), r.Action...), r.Trigger...)
}

// Health is the outcome of the latest health checks.
type Health struct {
	LastHealthyAt   *time.Time
	LastUnhealthyAt *time.Time
	LastError       string // never holds a secret
}

// Connection is a connector + version with its configuration and credentials. Config holds
// the non-secret fields; the secret ones (writeOnly in the schema) are in Secrets in the
// service and only in Sealed (their ciphertext) in the store.
type Connection struct {
	ID               string
	WorkspaceID      string
	ConnectorID      string
	ConnectorVersion string
	Name             string
	Description      string
	Config           map[string]any
	Secrets          map[string]Secret // clear; never given to a Store
	Sealed           []byte            // ciphertext of Secrets, what a Store keeps
	Variables        []Variable
	Credentials      CredentialRefs
	Status           Status
	Enabled          bool
	Paused           bool
	Environment      string
	ExternalXref     string
	Tags             []string
	Permissions      []string // what the connection is granted, within its connector's permissions
	Categories       []string // within its connector's categories
	Health           Health
	CreatedAt        time.Time
	UpdatedAt        time.Time
	CreatedBy        string
	UpdatedBy        string
	Revision         int64

	// IdempotencyKey and RequestHash tie a create to the Idempotency-Key it came with, so a
	// retried create finds the first result. Unique per workspace when set.
	IdempotencyKey string
	RequestHash    string

	// UsageCount is how many usages the connection has; filled by the store on reads,
	// ignored on writes.
	UsageCount int

	// Unreadable is set by the service when Sealed could not be opened (corrupt row or
	// missing key); the connection is returned with no secrets rather than failing a list.
	Unreadable bool
}

// Usage records that something uses a connection; a used connection cannot be deleted
// unless forced.
type Usage struct {
	ID           string
	WorkspaceID  string
	ConnectionID string
	Consumer     string // who uses it: "workflow:wf_1", "org:org_9"
	CreatedAt    time.Time
}

// AuditEvent records who did what to which object, when and from where. Details never hold a
// secret.
type AuditEvent struct {
	ID          string
	TenantID    string
	WorkspaceID string
	Actor       string // principal subject
	Action      string // "connection.create", "connection.credentials.read", ...
	ObjectType  string // "connection", "credential", "connector", "api_key", "workspace"
	ObjectID    string
	RequestID   string
	IP          string
	ClientHash  string
	Details     map[string]any
	CreatedAt   time.Time
}
