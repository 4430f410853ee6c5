// Package oauth runs OAuth2 client flows (authorization code with PKCE, refresh, client
// credentials) against providers with golang.org/x/oauth2; it implements
// switchboard.OAuthFlow.
package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/switchboardhq/switchboard"
)

// Flow implements switchboard.OAuthFlow.
type Flow struct {
	client *http.Client
}

// New returns a Flow whose token requests go through client (nil: a client with a 30 s
// timeout). Give it an SSRF-guarded client in production.
func New(client *http.Client) *Flow {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Flow{client: client}
}

var _ switchboard.OAuthFlow = (*Flow)(nil)

func config(cfg switchboard.OAuthConfig) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret.Reveal(),
		Endpoint: oauth2.Endpoint{
			AuthURL:  cfg.AuthorizeURL,
			TokenURL: cfg.TokenURL,
			// Explicit: auto-detection retries a refused request in the other style, which
			// would spend a rotating refresh token twice.
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		RedirectURL: cfg.RedirectURL,
		Scopes:      cfg.Scopes,
	}
}

func (f *Flow) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, f.client)
}

// NewVerifier returns a new PKCE code verifier (32 random bytes).
func (f *Flow) NewVerifier() string { return oauth2.GenerateVerifier() }

// AuthCodeURL returns the provider's authorize URL for state, with the S256 challenge of
// verifier when cfg.PKCE and the connector's extra parameters.
func (f *Flow) AuthCodeURL(cfg switchboard.OAuthConfig, state, verifier string) string {
	opts := []oauth2.AuthCodeOption{}
	if cfg.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	for k, v := range cfg.AuthorizeParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return config(cfg).AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code (and the PKCE verifier) for a token.
func (f *Flow) Exchange(ctx context.Context, cfg switchboard.OAuthConfig, code, verifier string) (*switchboard.OAuthToken, error) {
	var opts []oauth2.AuthCodeOption
	if cfg.PKCE {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	t, err := config(cfg).Exchange(f.ctx(ctx), code, opts...)
	return token(t, err)
}

// Refresh trades a refresh token for a new token; the answer keeps the old refresh token
// when the provider does not rotate it.
func (f *Flow) Refresh(ctx context.Context, cfg switchboard.OAuthConfig, refreshToken string) (*switchboard.OAuthToken, error) {
	src := config(cfg).TokenSource(f.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	t, err := src.Token()
	return token(t, err)
}

// ClientCredentials fetches a token with the client credentials grant.
func (f *Flow) ClientCredentials(ctx context.Context, cfg switchboard.OAuthConfig) (*switchboard.OAuthToken, error) {
	cc := &clientcredentials.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret.Reveal(), TokenURL: cfg.TokenURL,
		Scopes: cfg.Scopes, AuthStyle: oauth2.AuthStyleInHeader,
	}
	t, err := cc.Token(f.ctx(ctx))
	return token(t, err)
}

// token converts x/oauth2's answer, classifying a failure: the provider's OAuth2 error code
// when it gave one, Temporary for network errors and 5xx answers.
func token(t *oauth2.Token, err error) (*switchboard.OAuthToken, error) {
	if err != nil {
		f := &switchboard.OAuthFailure{Temporary: true, Cause: err}
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
			f.ErrorCode = re.ErrorCode
			if re.Response != nil {
				f.Status = re.Response.StatusCode
				f.Temporary = re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests
			}
			// The body may echo what was sent; keep only the classification.
			f.Cause = errors.New("token endpoint answered " + http.StatusText(f.Status))
		}
		return nil, f
	}
	out := &switchboard.OAuthToken{
		AccessToken:  switchboard.NewSecret(t.AccessToken),
		RefreshToken: switchboard.NewSecret(t.RefreshToken),
		TokenType:    t.Type(),
		Expiry:       t.Expiry,
	}
	if s, ok := t.Extra("scope").(string); ok && s != "" {
		out.Scopes = strings.Fields(s)
	}
	return out, nil
}
