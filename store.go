package switchboard

import (
	"context"
	"time"
)

// Page asks for one page of a list: at most Limit items (ordered by id, ascending) whose id is
// greater than After ("" = from the start).
type Page struct {
	Limit int
	After string
}

// ConnectionFilter narrows a connection list. Empty fields match everything.
type ConnectionFilter struct {
	ConnectorID         string
	Status              Status
	Environment         string
	ExternalXref        string
	Tag                 string
	Category            string    // the connection's Categories hold it
	NameContains        string    // case-insensitive substring of Name
	DescriptionContains string    // case-insensitive substring of Description
	CreatedBy           string    // exact
	CreatedFrom         time.Time // CreatedAt >= it, when not zero
	CreatedTo           time.Time // CreatedAt < it, when not zero
	UpdatedFrom         time.Time // UpdatedAt >= it, when not zero

	// Order: by id (creation order) unless Sort is "updated_at" or "name" (ties by id); Desc
	// reverses it. Page.After and Before are id cursors and go only with the id order: Before
	// gives the Limit items just before that id, still returned in ascending order. Offset
	// skips that many items of the order (offset paging, with any order).
	Sort   string
	Desc   bool
	Before string
	Offset int
	Page
}

// OrganizationConnectionFilter narrows and pages an organization's connections.
type OrganizationConnectionFilter struct {
	IsEnabled *bool
	Offset    int
	Limit     int // <= 0: all
}

// AuditFilter narrows an audit list. Empty fields match everything.
type AuditFilter struct {
	ObjectID string
	Action   string
	Page
}

// DataKey is a workspace's data-encryption key, wrapped by the key-encryption key KEKID of
// the keyring.
type DataKey struct {
	WorkspaceID string
	KEKID       string
	Wrapped     []byte
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Store keeps Switchboard's objects. It never sees a secret in clear: the service seals
// before it stores. Every method that takes a workspace id scopes its query by it: an object
// of another workspace is not found.
//
// Errors: a missing object is an *Error with CodeNotFound (never a nil result with a nil
// error); a uniqueness violation is CodeConflict with the message key named on the method; a
// stale revision is CodePreconditionFailed; the database being unreachable is
// CodeUnavailable; anything else is CodeInternal with the driver error as Cause. Drivers
// translate native errors in one function, by error code, never by message text.
//
// Mutating methods take an optional *AuditEvent (nil = none) that is written in the same
// transaction as the change.
//
// Lists return at most Page.Limit items ordered by id ascending, starting after Page.After.
type Store interface {
	// HasData reports whether the store holds anything (any tenant).
	HasData(ctx context.Context) (bool, error)
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error

	// CreateTenant inserts t. Conflict "tenant.exists" when the id is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// GetTenant returns the tenant with id. NotFound.
	GetTenant(ctx context.Context, id string) (*Tenant, error)

	// CreateWorkspace inserts w. Conflict "workspace.exists" when the id is taken (ids are
	// unique across tenants). NotFound when the tenant does not exist.
	CreateWorkspace(ctx context.Context, w *Workspace, ev *AuditEvent) error
	// GetWorkspace returns the workspace with id. NotFound.
	GetWorkspace(ctx context.Context, id string) (*Workspace, error)
	// ListWorkspaces lists the workspaces of a tenant.
	ListWorkspaces(ctx context.Context, tenantID string, p Page) ([]*Workspace, error)

	// CreateAPIKey inserts k. Conflict "api_key.exists" when the id or hash is taken.
	CreateAPIKey(ctx context.Context, k *APIKey, ev *AuditEvent) error
	// GetAPIKeyByHash returns the key (revoked or not) whose hash is hash. NotFound.
	GetAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	// ListAPIKeys lists the keys of a tenant whose WorkspaceID is workspaceID, or all of the
	// tenant's keys when workspaceID is "".
	ListAPIKeys(ctx context.Context, tenantID, workspaceID string, p Page) ([]*APIKey, error)
	// RevokeAPIKey sets RevokedAt of the tenant's key id. NotFound.
	RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time, ev *AuditEvent) error

	// CreateAccessKey inserts k. Conflict "access_key.exists" when the id is taken; NotFound
	// when k's workspace does not exist in k's tenant.
	CreateAccessKey(ctx context.Context, k *AccessKey, ev *AuditEvent) error
	// GetAccessKey returns the access key (revoked or not) whose id is id. NotFound.
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error)
	// ListAccessKeys lists the access keys of a tenant whose WorkspaceID is workspaceID, or
	// all of the tenant's access keys when workspaceID is "".
	ListAccessKeys(ctx context.Context, tenantID, workspaceID string, p Page) ([]*AccessKey, error)
	// RevokeAccessKey sets RevokedAt of the tenant's access key id; a key revoked already
	// keeps its first revocation time. NotFound.
	RevokeAccessKey(ctx context.Context, tenantID, id string, at time.Time, ev *AuditEvent) error

	// CreateDataKey inserts the data key of a workspace. Conflict "data_key.exists" when the
	// workspace has one already.
	CreateDataKey(ctx context.Context, k *DataKey) error
	// GetDataKey returns the data key of a workspace. NotFound.
	GetDataKey(ctx context.Context, workspaceID string) (*DataKey, error)
	// ListDataKeys returns every data key, ordered by workspace id.
	ListDataKeys(ctx context.Context) ([]*DataKey, error)
	// RewrapDataKey replaces the wrapped key of a workspace if it is still wrapped by
	// oldKEKID. Conflict "data_key.changed" when it is not; NotFound.
	RewrapDataKey(ctx context.Context, workspaceID, oldKEKID, newKEKID string, wrapped []byte) error
	// PutKeyCheck records the check value of a key-encryption key if none is recorded yet
	// (an existing one is kept unchanged).
	PutKeyCheck(ctx context.Context, kekID string, check []byte) error
	// KeyChecks returns every recorded check value by key id.
	KeyChecks(ctx context.Context) (map[string][]byte, error)

	// CreateConnector inserts a workspace connector with its first version. Conflict
	// "connector.key_taken" when the workspace has a connector with that key.
	CreateConnector(ctx context.Context, c *Connector, v *ConnectorVersion, ev *AuditEvent) error
	// GetConnector returns the workspace's connector whose id or key is idOrKey. NotFound.
	GetConnector(ctx context.Context, workspaceID, idOrKey string) (*Connector, error)
	// ListConnectors lists the workspace's own connectors.
	ListConnectors(ctx context.Context, workspaceID string, p Page) ([]*Connector, error)
	// CreateConnectorVersion adds a version and makes it the connector's LatestVersion.
	// Conflict "connector_version.exists"; NotFound when the connector does not exist.
	CreateConnectorVersion(ctx context.Context, v *ConnectorVersion, ev *AuditEvent) error
	// GetConnectorVersion returns one version. NotFound.
	GetConnectorVersion(ctx context.Context, workspaceID, connectorID, version string) (*ConnectorVersion, error)
	// ListConnectorVersions returns every version of a connector, oldest first.
	ListConnectorVersions(ctx context.Context, workspaceID, connectorID string) ([]*ConnectorVersion, error)

	// CreateCredential inserts c (Revision is set to 1). Conflict "credential.name_taken"
	// when the workspace has a credential with that name.
	CreateCredential(ctx context.Context, c *Credential, ev *AuditEvent) error
	// GetCredential returns one credential. NotFound.
	GetCredential(ctx context.Context, workspaceID, id string) (*Credential, error)
	// ListCredentials lists a workspace's credentials.
	ListCredentials(ctx context.Context, workspaceID string, p Page) ([]*Credential, error)
	// UpdateCredential stores c if its stored revision is still c.Revision, then increments
	// c.Revision. PreconditionFailed when stale; NotFound; Conflict "credential.name_taken".
	UpdateCredential(ctx context.Context, c *Credential, ev *AuditEvent) error
	// DeleteCredential removes one credential. NotFound.
	DeleteCredential(ctx context.Context, workspaceID, id string, ev *AuditEvent) error
	// CountCredentialUses returns how many connections reference the credential.
	CountCredentialUses(ctx context.Context, workspaceID, credentialID string) (int, error)

	// CreateConnection inserts c (Revision is set to 1). Conflict "connection.name_taken" when
	// the workspace has a connection with that name for the same connector; Conflict
	// "idempotency.key_taken" when c.IdempotencyKey is set and already used in the workspace.
	CreateConnection(ctx context.Context, c *Connection, ev *AuditEvent) error
	// GetConnection returns one connection with its UsageCount. NotFound.
	GetConnection(ctx context.Context, workspaceID, id string) (*Connection, error)
	// GetConnectionByIdempotencyKey returns the connection created with key. NotFound.
	GetConnectionByIdempotencyKey(ctx context.Context, workspaceID, key string) (*Connection, error)
	// ListConnections lists a workspace's connections matching f, each with its UsageCount.
	ListConnections(ctx context.Context, workspaceID string, f ConnectionFilter) ([]*Connection, error)
	// CountConnections counts a workspace's connections matching f; its order and paging
	// fields are ignored.
	CountConnections(ctx context.Context, workspaceID string, f ConnectionFilter) (int, error)
	// UpdateConnection stores c if its stored revision is still c.Revision, then increments
	// c.Revision and sets nothing else. PreconditionFailed when stale; NotFound; Conflict
	// "connection.name_taken".
	UpdateConnection(ctx context.Context, c *Connection, ev *AuditEvent) error
	// DeleteConnection removes one connection and its usages. NotFound.
	DeleteConnection(ctx context.Context, workspaceID, id string, ev *AuditEvent) error
	// ClaimHealthChecks claims up to limit connections, across all workspaces, whose periodic
	// health check is due at now: status PENDING, ACTIVE or FAILED, enabled, not paused, next
	// check time unset or reached, and no unexpired claim. Each claimed one gets its next check
	// time at now+interval and a claim until now+lease, so no other replica takes it before
	// then. Concurrent claims never return one connection twice. Most overdue first.
	ClaimHealthChecks(ctx context.Context, now time.Time, interval, lease time.Duration, limit int) ([]*Connection, error)

	// CreateUsage inserts u. Conflict "usage.exists" when the connection already has a usage
	// by that consumer; NotFound when the connection does not exist.
	CreateUsage(ctx context.Context, u *Usage, ev *AuditEvent) error
	// ListUsages returns the usages of a connection, oldest first.
	ListUsages(ctx context.Context, workspaceID, connectionID string) ([]*Usage, error)
	// DeleteUsage removes one usage of a connection. NotFound.
	DeleteUsage(ctx context.Context, workspaceID, connectionID, usageID string, ev *AuditEvent) error

	// CreateOrganization inserts o. Conflict "organization.name_taken" when the workspace has
	// an organization with that name.
	CreateOrganization(ctx context.Context, o *Organization, ev *AuditEvent) error
	// GetOrganization returns the workspace's organization whose id or name is idOrName.
	// NotFound.
	GetOrganization(ctx context.Context, workspaceID, idOrName string) (*Organization, error)
	// ListOrganizations lists a workspace's organizations (Page.Limit <= 0: all).
	ListOrganizations(ctx context.Context, workspaceID string, p Page) ([]*Organization, error)
	// UpdateOrganization stores o's name and display name. NotFound; Conflict
	// "organization.name_taken".
	UpdateOrganization(ctx context.Context, o *Organization, ev *AuditEvent) error
	// DeleteOrganization removes an organization and its organization connections. NotFound.
	DeleteOrganization(ctx context.Context, workspaceID, id string, ev *AuditEvent) error

	// CreateOrganizationConnection inserts oc. Conflict "organization_connection.exists" when
	// the organization already has that connection; NotFound when the organization or the
	// connection does not exist in the workspace.
	CreateOrganizationConnection(ctx context.Context, oc *OrganizationConnection, ev *AuditEvent) error
	// GetOrganizationConnection returns one. NotFound.
	GetOrganizationConnection(ctx context.Context, workspaceID, organizationID, connectionID string) (*OrganizationConnection, error)
	// ListOrganizationConnections lists an organization's connections ordered by connection
	// id, filtered by f, with the total count of matches (ignoring paging).
	ListOrganizationConnections(ctx context.Context, workspaceID, organizationID string, f OrganizationConnectionFilter) ([]*OrganizationConnection, int, error)
	// UpdateOrganizationConnection stores oc's flags and name. NotFound.
	UpdateOrganizationConnection(ctx context.Context, oc *OrganizationConnection, ev *AuditEvent) error
	// DeleteOrganizationConnection removes one. NotFound.
	DeleteOrganizationConnection(ctx context.Context, workspaceID, organizationID, connectionID string, ev *AuditEvent) error

	// CreateWebhookEndpoint inserts e. NotFound when its workspace does not exist.
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint, ev *AuditEvent) error
	// GetWebhookEndpoint returns one endpoint. NotFound.
	GetWebhookEndpoint(ctx context.Context, workspaceID, id string) (*WebhookEndpoint, error)
	// ListWebhookEndpoints lists a workspace's endpoints.
	ListWebhookEndpoints(ctx context.Context, workspaceID string, p Page) ([]*WebhookEndpoint, error)
	// UpdateWebhookEndpoint stores e's URL, events, enabled flag, secrets and UpdatedAt.
	// NotFound.
	UpdateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint, ev *AuditEvent) error
	// DeleteWebhookEndpoint removes an endpoint and its deliveries. NotFound.
	DeleteWebhookEndpoint(ctx context.Context, workspaceID, id string, ev *AuditEvent) error
	// EnqueueWebhookDelivery inserts one pending delivery (outside the audit path: a test
	// event). NotFound when its endpoint does not exist in its workspace.
	EnqueueWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	// ListWebhookDeliveries lists the deliveries of one endpoint of a workspace.
	ListWebhookDeliveries(ctx context.Context, workspaceID, endpointID string, p Page) ([]*WebhookDelivery, error)
	// ClaimWebhookDeliveries claims up to n pending deliveries of enabled endpoints due at
	// now, oldest first, across all workspaces: each gets a new LeaseToken and its
	// NextAttemptAt moves to now+lease, so no other claim takes it before then (a worker that
	// dies loses its claim when the lease ends). Concurrent claims never return one delivery
	// twice.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]*WebhookDelivery, error)
	// FinishWebhookDelivery records attempt a of a claimed delivery and stores d's Status,
	// NextAttemptAt, DeliveredAt, LastStatus and LastError, incrementing Attempts, if the
	// stored LeaseToken is still d.LeaseToken (the claim then ends). Conflict
	// "webhook_delivery.lease_lost" when it is not; NotFound.
	FinishWebhookDelivery(ctx context.Context, d *WebhookDelivery, a WebhookAttempt) error
	// RememberWebhookID records the id of a partner's webhook verified through a connection
	// until expiresAt and reports whether it is fresh: false when the same (workspace,
	// connection, id) is recorded already and has not expired (a replay). Of concurrent calls
	// with one id, on one database, exactly one is fresh. An expired record may be reused or
	// pruned. NotFound when the connection does not exist.
	RememberWebhookID(ctx context.Context, workspaceID, connectionID, webhookID string, expiresAt time.Time) (fresh bool, err error)

	// AppendAudit inserts audit events on their own, all in one transaction. Like every audit
	// write it also enqueues a WebhookDelivery, in the same transaction, for each type of
	// WebhookEvents(ev) and each enabled endpoint of the workspace subscribed to it.
	AppendAudit(ctx context.Context, evs ...*AuditEvent) error
	// ListAudit lists a workspace's audit events matching f.
	ListAudit(ctx context.Context, workspaceID string, f AuditFilter) ([]*AuditEvent, error)

	OAuthStore
}

// Sealer encrypts and decrypts secret values. The ciphertext is bound to the workspace, the
// object id and the field: opened with any other of those it fails.
type Sealer interface {
	// Seal encrypts plaintext for the given workspace, object and field.
	Seal(ctx context.Context, workspaceID, objectID, field string, plaintext []byte) ([]byte, error)
	// Open decrypts a ciphertext made by Seal with the same workspace, object and field.
	// A ciphertext that does not authenticate is an *Error with CodeInternal and message key
	// "seal.unreadable".
	Open(ctx context.Context, workspaceID, objectID, field string, ciphertext []byte) ([]byte, error)
}
