package switchboard

import (
	"context"
	"time"
)

// PrefixConnectSession is the id prefix of connect sessions.
const PrefixConnectSession = "cs"

// Grant types of a connection's OAuth2 token.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
)

// OAuthClient is the OAuth2 client a workspace registered with a provider for one connector.
// The client secret is sealed.
type OAuthClient struct {
	WorkspaceID  string
	ConnectorID  string
	ClientID     string
	ClientSecret Secret // clear; never given to a Store
	Sealed       []byte // ciphertext of ClientSecret
	CreatedAt    time.Time
	UpdatedAt    time.Time
	UpdatedBy    string
}

// ConnectSession is one "authorize a connection" flow: a single-use link (stored hashed)
// that, once opened, sends the user to the provider with a state (stored hashed) and a PKCE
// verifier (sealed); the callback claims it by its state.
type ConnectSession struct {
	ID             string
	WorkspaceID    string
	ConnectorID    string
	ConnectionID   string // the connection to re-authorize in place; "" = create one
	ConnectionName string
	SuccessURL     string
	FailureURL     string
	Scopes         []string
	TokenHash      []byte // SHA-256 of the link token
	StateHash      []byte // SHA-256 of the state, set when the link is opened
	Sealed         []byte // the sealed PKCE verifier, set when the link is opened
	ExpiresAt      time.Time
	OpenedAt       *time.Time
	UsedAt         *time.Time
	CreatedAt      time.Time
	CreatedBy      string
}

// ConnectionToken is the OAuth2 token of a connection: access and refresh tokens sealed,
// expiry and granted scopes in clear (the refresher selects by expiry).
type ConnectionToken struct {
	WorkspaceID  string
	ConnectionID string
	GrantType    string            // GrantAuthorizationCode or GrantClientCredentials
	Secrets      map[string]Secret // access_token, refresh_token, token_type; never given to a Store
	Sealed       []byte
	Scopes       []string
	ExpiresAt    *time.Time // nil: does not expire
	UpdatedAt    time.Time
}

// OAuthStore is the part of the Store that keeps OAuth clients, connect sessions and
// connection tokens. Errors follow the Store's conventions.
type OAuthStore interface {
	// PutOAuthClient inserts or replaces the workspace's client for a connector.
	PutOAuthClient(ctx context.Context, c *OAuthClient, ev *AuditEvent) error
	// GetOAuthClient returns the workspace's client for a connector. NotFound.
	GetOAuthClient(ctx context.Context, workspaceID, connectorID string) (*OAuthClient, error)
	// DeleteOAuthClient removes the workspace's client for a connector. NotFound.
	DeleteOAuthClient(ctx context.Context, workspaceID, connectorID string, ev *AuditEvent) error

	// CreateConnectSession inserts s.
	CreateConnectSession(ctx context.Context, s *ConnectSession, ev *AuditEvent) error
	// GetConnectSessionByToken returns the session whose link token hashes to tokenHash, in
	// any state. NotFound.
	GetConnectSessionByToken(ctx context.Context, tokenHash []byte) (*ConnectSession, error)
	// GetConnectSessionByState returns the session whose state hashes to stateHash, in any
	// state. NotFound.
	GetConnectSessionByState(ctx context.Context, stateHash []byte) (*ConnectSession, error)
	// OpenConnectSession sets the state hash, sealed verifier and OpenedAt of session id if it
	// was never opened and has not expired at now. Conflict "connect_session.unusable"
	// otherwise; NotFound.
	OpenConnectSession(ctx context.Context, id string, stateHash, sealed []byte, now time.Time) error
	// ClaimConnectSession sets UsedAt of the session whose state hashes to stateHash if it was
	// opened, never used and has not expired at now, and returns it. Conflict
	// "connect_session.unusable" when it exists but cannot be claimed; NotFound.
	ClaimConnectSession(ctx context.Context, stateHash []byte, now time.Time) (*ConnectSession, error)

	// PutConnectionToken inserts or replaces a connection's token and frees its refresh
	// lease. NotFound when the connection does not exist.
	PutConnectionToken(ctx context.Context, t *ConnectionToken, ev *AuditEvent) error
	// GetConnectionToken returns a connection's token. NotFound.
	GetConnectionToken(ctx context.Context, workspaceID, connectionID string) (*ConnectionToken, error)
	// AcquireRefreshLease takes the refresh lease of a connection's token for owner until
	// until, if no one holds it at now (one conditional UPDATE, no transaction held open).
	// It reports whether owner got it. NotFound when the token does not exist.
	AcquireRefreshLease(ctx context.Context, workspaceID, connectionID, owner string, now, until time.Time) (bool, error)
	// ReleaseRefreshLease frees the lease if owner still holds it.
	ReleaseRefreshLease(ctx context.Context, workspaceID, connectionID, owner string) error
	// EnsureConnectionToken inserts t unless the connection has a token already (then it
	// does nothing). NotFound when the connection does not exist.
	EnsureConnectionToken(ctx context.Context, t *ConnectionToken) error
	// ListExpiringTokens lists up to limit tokens (any workspace) of ACTIVE or PENDING
	// connections that expire before before, whose lease is free at now, soonest first.
	ListExpiringTokens(ctx context.Context, before, now time.Time, limit int) ([]*ConnectionToken, error)
}

// OAuthConfig is what a provider call needs: the client, the provider's endpoints and the
// request's scopes.
type OAuthConfig struct {
	ClientID        string
	ClientSecret    Secret
	AuthorizeURL    string
	TokenURL        string
	RedirectURL     string
	Scopes          []string
	PKCE            bool
	AuthorizeParams map[string]string
}

// OAuthToken is what a token endpoint answered.
type OAuthToken struct {
	AccessToken  Secret
	RefreshToken Secret // zero: none given (keep the old one)
	TokenType    string
	Expiry       time.Time // zero: does not expire
	Scopes       []string  // granted scopes, when the provider says
}

// OAuthFailure is a token endpoint's refusal or an unreachable provider. ErrorCode is the
// OAuth2 error ("invalid_grant") when the provider gave one; Temporary is set for network
// errors and 5xx answers, which are worth retrying.
type OAuthFailure struct {
	ErrorCode string
	Status    int
	Temporary bool
	Cause     error
}

func (f *OAuthFailure) Error() string {
	if f.ErrorCode != "" {
		return "oauth2: " + f.ErrorCode
	}
	if f.Cause != nil {
		return "oauth2: " + f.Cause.Error()
	}
	return "oauth2: token endpoint failed"
}

func (f *OAuthFailure) Unwrap() error { return f.Cause }

// OAuthFlow runs OAuth2 client flows against providers; internal/oauth implements it with
// golang.org/x/oauth2.
type OAuthFlow interface {
	// NewVerifier returns a new PKCE code verifier.
	NewVerifier() string
	// AuthCodeURL returns the authorize URL for state (with the S256 challenge of verifier
	// when cfg.PKCE).
	AuthCodeURL(cfg OAuthConfig, state, verifier string) string
	// Exchange trades an authorization code for a token.
	Exchange(ctx context.Context, cfg OAuthConfig, code, verifier string) (*OAuthToken, error)
	// Refresh trades a refresh token for a new token.
	Refresh(ctx context.Context, cfg OAuthConfig, refreshToken string) (*OAuthToken, error)
	// ClientCredentials fetches a token with the client credentials grant.
	ClientCredentials(ctx context.Context, cfg OAuthConfig) (*OAuthToken, error)
}
