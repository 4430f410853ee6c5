package switchboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// OAuthOptions configures the OAuth2 flows of a Service.
type OAuthOptions struct {
	Flow OAuthFlow
	// PublicURL is where users reach this server ("https://switchboard.example"): connect
	// links are PublicURL/connect/{token} and the redirect URI registered with providers is
	// PublicURL/connect/callback.
	PublicURL string
	// RefreshMargin: a token expiring within it is refreshed before it is handed out.
	// Default 15 minutes.
	RefreshMargin time.Duration
	// Backoff is the wait before each retry of a refresh the provider failed temporarily
	// (network error, 5xx). Default 200 ms, 1 s.
	Backoff []time.Duration
	// Lease is how long a refresh lease holds when its holder dies. Default 1 minute.
	Lease time.Duration
	// SessionTTL is how long a connect link (and its state) stays usable. Default
	// ConnectSessionTTL.
	SessionTTL time.Duration
}

// ConnectSessionTTL is how long a connect link stays usable unless configured otherwise.
const ConnectSessionTTL = 10 * time.Minute

// oauthState is the OAuth2 part of a Service, set once by SetOAuth.
type oauthState struct {
	OAuthOptions
	flights flightGroup
}

// SetOAuth enables the OAuth2 flows. Call it before the service is used.
func (s *Service) SetOAuth(o OAuthOptions) {
	if o.RefreshMargin <= 0 {
		o.RefreshMargin = 15 * time.Minute
	}
	if o.Backoff == nil {
		o.Backoff = []time.Duration{200 * time.Millisecond, time.Second}
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = ConnectSessionTTL
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	s.oauth = &oauthState{OAuthOptions: o}
}

// oauthSpec is a connector version's "oauth2" block (see internal/catalog's OAuth2).
type oauthSpec struct {
	AuthorizeURL    string            `json:"authorize_url"`
	TokenURL        string            `json:"token_url"`
	Scopes          []string          `json:"scopes"`
	PKCE            *bool             `json:"pkce"` // nil: on
	AuthorizeParams map[string]string `json:"authorize_params"`
	Grant           string            `json:"grant"` // "" or authorization_code | client_credentials
}

// oauthSpecOf returns the OAuth2 block of a connector version.
func (s *Service) oauthSpecOf(ctx context.Context, wsID, connectorID, version string) (*Connector, string, *oauthSpec, error) {
	connector, version, cs, err := s.schemaFor(ctx, wsID, connectorID, version)
	if err != nil {
		return nil, "", nil, err
	}
	var spec oauthSpec
	if cs.version == nil || len(cs.version.OAuth2) == 0 || json.Unmarshal(cs.version.OAuth2, &spec) != nil || spec.TokenURL == "" {
		return nil, "", nil, Errorf(CodeInvalid, "oauth.not_configured", "Connector", connectorID)
	}
	return connector, version, &spec, nil
}

// oauthConfig joins a spec, the workspace's client and the scopes for a provider call.
func (s *Service) oauthConfig(ctx context.Context, wsID, connectorID string, spec *oauthSpec, scopes []string) (OAuthConfig, error) {
	cl, err := s.store.GetOAuthClient(ctx, wsID, connectorID)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return OAuthConfig{}, Conflict("oauth_client.missing", "Connector", connectorID)
		}
		return OAuthConfig{}, err
	}
	m, err := s.openMap(ctx, wsID, connectorID, "oauth_client", cl.Sealed)
	if err != nil {
		return OAuthConfig{}, err
	}
	if scopes == nil {
		scopes = spec.Scopes
	}
	return OAuthConfig{
		ClientID: cl.ClientID, ClientSecret: m["client_secret"],
		AuthorizeURL: spec.AuthorizeURL, TokenURL: spec.TokenURL,
		RedirectURL: s.oauth.PublicURL + "/connect/callback", Scopes: scopes,
		PKCE: spec.PKCE == nil || *spec.PKCE, AuthorizeParams: spec.AuthorizeParams,
	}, nil
}

// connectorFor resolves a built-in or workspace connector by id or key. NotFound.
func (s *Service) connectorFor(ctx context.Context, wsID, idOrKey string) (*Connector, error) {
	if b, ok := s.builtins[idOrKey]; ok {
		c := b.def.Connector
		return &c, nil
	}
	return s.store.GetConnector(ctx, wsID, idOrKey)
}

// PutOAuthClient stores the workspace's OAuth client for a connector (admin role); the secret
// is sealed.
func (s *Service) PutOAuthClient(ctx context.Context, wsID, connectorID, clientID string, secret Secret) (*OAuthClient, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	connector, err := s.connectorFor(ctx, ws.ID, connectorID)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.oauthSpecOf(ctx, ws.ID, connector.ID, ""); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(clientID) == "":
		return nil, Invalid("client_id", "required")
	case len(clientID) > 512:
		return nil, Invalid("client_id", "max_length")
	case len(secret.Reveal()) > 4096:
		return nil, Invalid("client_secret", "max_length")
	}
	now := s.now()
	c := &OAuthClient{WorkspaceID: ws.ID, ConnectorID: connector.ID, ClientID: clientID, ClientSecret: secret,
		CreatedAt: now, UpdatedAt: now, UpdatedBy: p.Subject}
	if !secret.IsZero() {
		if c.Sealed, err = s.sealMap(ctx, ws.ID, connector.ID, "oauth_client", map[string]Secret{"client_secret": secret}); err != nil {
			return nil, err
		}
	}
	ev := s.event(ctx, p, ws, "oauth_client.put", "connector", connector.ID, map[string]any{"client_id": clientID})
	if err := s.store.PutOAuthClient(ctx, c, ev); err != nil {
		return nil, err
	}
	return s.store.GetOAuthClient(ctx, ws.ID, connector.ID)
}

// GetOAuthClient returns the workspace's OAuth client for a connector (admin role), its
// secret in ClientSecret (render it masked).
func (s *Service) GetOAuthClient(ctx context.Context, wsID, connectorID string) (*OAuthClient, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	connector, err := s.connectorFor(ctx, ws.ID, connectorID)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetOAuthClient(ctx, ws.ID, connector.ID)
	if err != nil {
		return nil, err
	}
	m, err := s.openMap(ctx, ws.ID, connector.ID, "oauth_client", c.Sealed)
	if err != nil {
		return nil, err
	}
	c.ClientSecret = m["client_secret"]
	return c, nil
}

// DeleteOAuthClient removes the workspace's OAuth client for a connector (admin role).
func (s *Service) DeleteOAuthClient(ctx context.Context, wsID, connectorID string) error {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return err
	}
	connector, err := s.connectorFor(ctx, ws.ID, connectorID)
	if err != nil {
		return err
	}
	ev := s.event(ctx, p, ws, "oauth_client.delete", "connector", connector.ID, nil)
	return s.store.DeleteOAuthClient(ctx, ws.ID, connector.ID, ev)
}

// ConnectSessionInput starts an "authorize a connection" flow.
type ConnectSessionInput struct {
	ConnectorID    string
	ConnectionName string
	ConnectionID   string // re-authorize this connection in place
	SuccessURL     string
	FailureURL     string
	Scopes         []string // nil: the connector's
}

// CreateConnectSession starts an authorization (editor role) and returns the session and its
// single-use link, valid for the configured SessionTTL.
func (s *Service) CreateConnectSession(ctx context.Context, wsID string, in ConnectSessionInput) (*ConnectSession, string, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, "", err
	}
	if s.oauth == nil {
		return nil, "", Errorf(CodeUnavailable, "unavailable")
	}
	if strings.TrimSpace(in.ConnectorID) == "" {
		return nil, "", Invalid("connector_id", "required")
	}
	for _, u := range []struct{ field, v string }{{"success_url", in.SuccessURL}, {"failure_url", in.FailureURL}} {
		if u.v == "" {
			return nil, "", Invalid(u.field, "required")
		}
		if pu, err := url.Parse(u.v); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" || len(u.v) > 2048 {
			return nil, "", Invalid(u.field, "format")
		}
	}
	connector, _, spec, err := s.oauthSpecOf(ctx, ws.ID, in.ConnectorID, "")
	if err != nil {
		return nil, "", err
	}
	if spec.AuthorizeURL == "" || spec.Grant == GrantClientCredentials {
		return nil, "", Errorf(CodeInvalid, "oauth.not_configured", "Connector", in.ConnectorID)
	}
	if _, err := s.oauthConfig(ctx, ws.ID, connector.ID, spec, nil); err != nil {
		return nil, "", err
	}
	if in.ConnectionID != "" {
		c, err := s.store.GetConnection(ctx, ws.ID, in.ConnectionID)
		if err != nil {
			return nil, "", err
		}
		if c.ConnectorID != connector.ID {
			return nil, "", Invalid("connection_id", "enum")
		}
	}
	in.ConnectionName = strings.TrimSpace(in.ConnectionName)
	if len(in.ConnectionName) > maxNameLen {
		return nil, "", Invalid("connection_name", "max_length")
	}
	token := randomToken()
	now := s.now()
	cs := &ConnectSession{
		ID: NewID(PrefixConnectSession), WorkspaceID: ws.ID, ConnectorID: connector.ID,
		ConnectionID: in.ConnectionID, ConnectionName: in.ConnectionName,
		SuccessURL: in.SuccessURL, FailureURL: in.FailureURL, Scopes: in.Scopes,
		TokenHash: hashToken(token), ExpiresAt: now.Add(s.oauth.SessionTTL), CreatedAt: now, CreatedBy: p.Subject,
	}
	ev := s.event(ctx, p, ws, "connect_session.create", "connect_session", cs.ID, map[string]any{
		"connector_id": connector.ID, "connection_id": in.ConnectionID,
	})
	if err := s.store.CreateConnectSession(ctx, cs, ev); err != nil {
		return nil, "", err
	}
	return cs, s.oauth.PublicURL + "/connect/" + token, nil
}

// randomToken returns 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics on a broken source)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// withParam returns u with one query parameter added.
func withParam(u, key, value string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	q.Set(key, value)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// OpenConnectLink follows a connect link (public: the token is the credential) and returns
// the provider's authorize URL to redirect to, or the session's failure URL when the link
// expired or was used. An unknown token is NotFound.
func (s *Service) OpenConnectLink(ctx context.Context, token string) (string, error) {
	if s.oauth == nil {
		return "", Errorf(CodeUnavailable, "unavailable")
	}
	cs, err := s.store.GetConnectSessionByToken(ctx, hashToken(token))
	if err != nil {
		return "", err
	}
	now := s.now()
	if cs.OpenedAt != nil || !now.Before(cs.ExpiresAt) {
		return withParam(cs.FailureURL, "error", "link_expired"), nil
	}
	_, _, spec, err := s.oauthSpecOf(ctx, cs.WorkspaceID, cs.ConnectorID, "")
	if err != nil {
		return withParam(cs.FailureURL, "error", "not_configured"), nil
	}
	cfg, err := s.oauthConfig(ctx, cs.WorkspaceID, cs.ConnectorID, spec, cs.Scopes)
	if err != nil {
		return withParam(cs.FailureURL, "error", "not_configured"), nil
	}
	state, verifier := randomToken(), s.oauth.Flow.NewVerifier()
	sealed, err := s.sealMap(ctx, cs.WorkspaceID, cs.ID, "pkce", map[string]Secret{"verifier": NewSecret(verifier)})
	if err != nil {
		return "", err
	}
	if err := s.store.OpenConnectSession(ctx, cs.ID, hashToken(state), sealed, now); err != nil {
		if ErrorCode(err) == CodeConflict {
			return withParam(cs.FailureURL, "error", "link_expired"), nil
		}
		return "", err
	}
	return s.oauth.Flow.AuthCodeURL(cfg, state, verifier), nil
}

var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// CompleteConnect handles the provider's redirect back (public: the state is the
// credential): it claims the session of state, exchanges the code, creates the connection
// (or re-authorizes the session's connection in place) with its token, and returns the URL
// to redirect to: the session's success URL with connection_id, or its failure URL with
// error. A state that matches no session is an error (there is nowhere to redirect).
func (s *Service) CompleteConnect(ctx context.Context, code, state, providerError string) (string, error) {
	if s.oauth == nil {
		return "", Errorf(CodeUnavailable, "unavailable")
	}
	if state == "" {
		return "", Invalid("state", "required")
	}
	now := s.now()
	cs, err := s.store.ClaimConnectSession(ctx, hashToken(state), now)
	if err != nil {
		if ErrorCode(err) == CodeConflict {
			prev, gerr := s.store.GetConnectSessionByState(ctx, hashToken(state))
			if gerr != nil {
				return "", gerr
			}
			return withParam(prev.FailureURL, "error", "invalid_state"), nil
		}
		if ErrorCode(err) == CodeNotFound {
			return "", Errorf(CodeInvalid, "connect_session.unusable")
		}
		return "", err
	}
	fail := func(reason string) (string, error) { return withParam(cs.FailureURL, "error", reason), nil }
	if providerError != "" {
		if !oauthErrorCode.MatchString(providerError) {
			providerError = "provider_error"
		}
		return fail(providerError)
	}
	if code == "" {
		return fail("invalid_request")
	}
	ws, err := s.store.GetWorkspace(ctx, cs.WorkspaceID)
	if err != nil {
		return "", err
	}
	connector, version, spec, err := s.oauthSpecOf(ctx, ws.ID, cs.ConnectorID, "")
	if err != nil {
		return fail("not_configured")
	}
	cfg, err := s.oauthConfig(ctx, ws.ID, connector.ID, spec, cs.Scopes)
	if err != nil {
		return fail("not_configured")
	}
	pk, err := s.openMap(ctx, ws.ID, cs.ID, "pkce", cs.Sealed)
	if err != nil {
		return "", err
	}
	tok, err := s.oauth.Flow.Exchange(ctx, cfg, code, pk["verifier"].Reveal())
	if err != nil {
		reason := "exchange_failed"
		if f, ok := errors.AsType[*OAuthFailure](err); ok && oauthErrorCode.MatchString(f.ErrorCode) {
			reason = f.ErrorCode
		}
		return fail(reason)
	}
	if tok.AccessToken.IsZero() {
		return fail("exchange_failed")
	}
	actor := &Principal{Subject: cs.CreatedBy, TenantID: ws.TenantID}
	var c *Connection
	if cs.ConnectionID != "" {
		c, err = s.reauthorize(ctx, actor, ws, cs.ConnectionID)
	} else {
		c, err = s.createAuthorized(ctx, actor, ws, connector, version, cs)
	}
	if err != nil {
		switch ErrorCode(err) {
		case CodeConflict:
			return fail("name_taken")
		case CodeNotFound:
			return fail("connection_not_found")
		case CodeInvalid:
			return fail("invalid_config")
		}
		return "", err
	}
	scopes := tok.Scopes
	if scopes == nil {
		scopes = cfg.Scopes
	}
	t := &ConnectionToken{WorkspaceID: ws.ID, ConnectionID: c.ID, GrantType: GrantAuthorizationCode,
		Secrets: tokenSecrets(tok, Secret{}), Scopes: nonNil(scopes), UpdatedAt: s.now()}
	if !tok.Expiry.IsZero() {
		exp := tok.Expiry.UTC()
		t.ExpiresAt = &exp
	}
	if t.Sealed, err = s.sealMap(ctx, ws.ID, c.ID, "oauth_token", t.Secrets); err != nil {
		return "", err
	}
	ev := s.event(ctx, actor, ws, "connection.authorize", "connection", c.ID, map[string]any{
		"connect_session": cs.ID, "scopes": t.Scopes,
	})
	if err := s.store.PutConnectionToken(ctx, t, ev); err != nil {
		if cs.ConnectionID == "" {
			_ = s.store.DeleteConnection(context.WithoutCancel(ctx), ws.ID, c.ID, nil)
		}
		return "", err
	}
	return withParam(cs.SuccessURL, "connection_id", c.ID), nil
}

// tokenSecrets returns what is sealed of a token; a token without a refresh token keeps
// prevRefresh.
func tokenSecrets(tok *OAuthToken, prevRefresh Secret) map[string]Secret {
	m := map[string]Secret{"access_token": tok.AccessToken}
	if !tok.RefreshToken.IsZero() {
		m["refresh_token"] = tok.RefreshToken
	} else if !prevRefresh.IsZero() {
		m["refresh_token"] = prevRefresh
	}
	if tok.TokenType != "" {
		m["token_type"] = NewSecret(tok.TokenType)
	}
	return m
}

// createAuthorized creates the connection of a completed connect session, ACTIVE.
func (s *Service) createAuthorized(ctx context.Context, p *Principal, ws *Workspace, connector *Connector, version string, cs *ConnectSession) (*Connection, error) {
	_, _, schema, err := s.schemaFor(ctx, ws.ID, connector.ID, version)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &Connection{
		ID: NewID(PrefixConnection), WorkspaceID: ws.ID, ConnectorID: connector.ID, ConnectorVersion: version,
		Name: cs.ConnectionName, Variables: []Variable{}, Credentials: CredentialRefs{Action: []string{}, Trigger: []string{}},
		Status: StatusActive, Enabled: true, Environment: DefaultEnvironment, Tags: []string{},
		Permissions: []string{}, Categories: []string{}, CreatedAt: now, UpdatedAt: now,
		CreatedBy: p.Subject, UpdatedBy: p.Subject,
	}
	if c.Name == "" {
		c.Name = connector.Key + "-" + strings.ToLower(c.ID[len(c.ID)-8:])
	}
	if err := applyConfig(schema, c, map[string]any{}, false); err != nil {
		return nil, err
	}
	if c.Sealed, err = s.sealMap(ctx, ws.ID, c.ID, "secrets", c.Secrets); err != nil {
		return nil, err
	}
	ev := s.event(ctx, p, ws, "connection.create", "connection", c.ID, map[string]any{
		"connector_id": c.ConnectorID, "name": c.Name, "status": string(c.Status), "via": "oauth2",
	})
	if err := s.store.CreateConnection(ctx, c, ev); err != nil {
		return nil, err
	}
	return c, nil
}

// reauthorize makes an existing connection ACTIVE again (unless disabled or paused) after a
// new authorization; its id and config stay.
func (s *Service) reauthorize(ctx context.Context, p *Principal, ws *Workspace, id string) (*Connection, error) {
	for range 3 {
		c, err := s.store.GetConnection(ctx, ws.ID, id)
		if err != nil {
			return nil, err
		}
		prev := c.Status
		if c.Enabled && !c.Paused {
			c.Status = StatusActive
		}
		c.Health.LastError = ""
		c.UpdatedAt, c.UpdatedBy = s.now(), p.Subject
		ev := s.event(ctx, p, ws, "connection.reauthorize", "connection", c.ID, map[string]any{
			"status_from": string(prev), "status_to": string(c.Status),
		})
		err = s.store.UpdateConnection(ctx, c, ev)
		if ErrorCode(err) == CodePreconditionFailed {
			continue
		}
		return c, err
	}
	return nil, Errorf(CodeUnavailable, "unavailable")
}

// flightGroup runs one call per key at a time; callers of a key that is in flight wait and
// share its result (golang.org/x/sync/singleflight's idea; the domain imports only the
// standard library).
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flight
}

type flight struct {
	done chan struct{}
	t    *ConnectionToken
	err  error
}

func (g *flightGroup) Do(key string, fn func() (*ConnectionToken, error)) (*ConnectionToken, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*flight{}
	}
	if f, ok := g.calls[key]; ok {
		g.mu.Unlock()
		<-f.done
		return f.t, f.err
	}
	f := &flight{done: make(chan struct{})}
	g.calls[key] = f
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.t, f.err = fn()
	return f.t, f.err
}
