package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// provider is an OAuth2 authorization server written for these tests: an authorize endpoint
// that redirects back with a code, and a token endpoint that checks the client, the PKCE
// verifier and the redirect URI, rotates refresh tokens and counts calls.
type provider struct {
	*httptest.Server
	clientID, clientSecret string
	initialTTL, refreshTTL time.Duration
	refreshDelay           time.Duration

	mu       sync.Mutex
	codes    map[string]codeGrant
	refresh  map[string]bool // refresh tokens that are valid now
	n        int             // tokens issued
	failWith string          // "invalid_grant" or "503": how refreshes fail
	fail503  int             // refreshes still to fail with 503 (when failWith is "")

	refreshCalls  atomic.Int64
	exchangeCalls atomic.Int64
	clientCalls   atomic.Int64
}

type codeGrant struct {
	challenge, redirect, scope string
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{clientID: "client-1", clientSecret: "client-secret-0123456789",
		initialTTL: time.Hour, refreshTTL: time.Hour,
		codes: map[string]codeGrant{}, refresh: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

func (p *provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.n++
	code := fmt.Sprintf("code-%d", p.n)
	p.codes[code] = codeGrant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), scope: q.Get("scope")}
	p.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != p.clientID || secret != p.clientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		p.exchangeCalls.Add(1)
		p.mu.Lock()
		g, ok := p.codes[r.PostFormValue("code")]
		delete(p.codes, r.PostFormValue("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || g.redirect != r.PostFormValue("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		p.issue(w, p.initialTTL, g.scope)
	case "refresh_token":
		p.refreshCalls.Add(1)
		time.Sleep(p.refreshDelay)
		p.mu.Lock()
		rt := r.PostFormValue("refresh_token")
		valid := p.refresh[rt]
		failWith := p.failWith
		if failWith == "" && p.fail503 > 0 {
			p.fail503--
			failWith = "503"
		}
		if valid && failWith == "" {
			delete(p.refresh, rt) // rotation: a refresh token works once
		}
		p.mu.Unlock()
		switch {
		case failWith == "503":
			http.Error(w, "try later", http.StatusServiceUnavailable)
		case !valid || failWith == "invalid_grant":
			oauthError(w, http.StatusBadRequest, "invalid_grant")
		default:
			p.issue(w, p.refreshTTL, "")
		}
	case "client_credentials":
		p.clientCalls.Add(1)
		time.Sleep(p.refreshDelay)
		p.issue(w, p.initialTTL, r.PostFormValue("scope"))
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (p *provider) issue(w http.ResponseWriter, ttl time.Duration, scope string) {
	p.mu.Lock()
	p.n++
	at, rt := fmt.Sprintf("access-%d", p.n), fmt.Sprintf("refresh-%d", p.n)
	p.refresh[rt] = true
	p.mu.Unlock()
	out := map[string]any{"access_token": at, "refresh_token": rt, "token_type": "Bearer", "expires_in": int(ttl.Seconds())}
	if scope != "" {
		out["scope"] = scope
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// oauthConnector defines a workspace connector whose OAuth2 block points at p and stores the
// workspace's client for it; it returns the connector id.
func oauthConnector(t *testing.T, e *testenv.Env, p *provider) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/default/connectors", e.OwnerKey, map[string]any{
		"key": "acme-oauth",
		"schema": rawJSON(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
			`"additionalProperties":false,"properties":{"region":{"type":"string"}}}`),
		"auth_schemes": []string{"oauth2"},
		"oauth2": map[string]any{"authorize_url": p.URL + "/authorize", "token_url": p.URL + "/token",
			"scopes": []string{"read", "write"}, "pkce": true},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create connector: %d %s", r.Status, r.Body)
	}
	id := r.Map(t)["id"].(string)
	r = e.Do(t, "PUT", "/v1/workspaces/default/connectors/"+id+"/oauth-client", e.OwnerKey,
		map[string]any{"client_id": p.clientID, "client_secret": p.clientSecret})
	if r.Status != http.StatusOK {
		t.Fatalf("put oauth client: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), p.clientSecret) {
		t.Errorf("PUT oauth-client shows the secret: %s", r.Body)
	}
	return id
}

// browser follows redirects one at a time, without cookies, as the tests' user.
var browser = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// hop GETs u and returns the Location of its 302 (failing on anything else).
func hop(t *testing.T, u string) string {
	t.Helper()
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: %d, want 302", u, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// connectSession starts a connect session and returns its link.
func connectSession(t *testing.T, e *testenv.Env, body map[string]any) string {
	t.Helper()
	body["success_url"], body["failure_url"] = "https://app.example.com/done", "https://app.example.com/failed"
	r := e.Do(t, "POST", "/v1/workspaces/default/connect-sessions", e.OwnerKey, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create connect session: %d %s", r.Status, r.Body)
	}
	var out struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	r.JSON(t, &out)
	if !strings.HasPrefix(out.URL, e.URL+"/connect/") || time.Until(out.ExpiresAt) > 11*time.Minute {
		t.Fatalf("connect session = %s", r.Body)
	}
	return out.URL
}

// authorize walks a connect link through the provider and back, and returns the final
// redirect (to the success or failure URL) and the callback URL it came through.
func authorize(t *testing.T, link string) (final *url.URL, callback string) {
	t.Helper()
	toProvider := hop(t, link)
	if !strings.Contains(toProvider, "code_challenge_method=S256") || !strings.Contains(toProvider, "state=") {
		t.Fatalf("authorize URL lacks PKCE or state: %s", toProvider)
	}
	callback = hop(t, toProvider)
	f, err := url.Parse(hop(t, callback))
	if err != nil {
		t.Fatal(err)
	}
	return f, callback
}

func credentials(t *testing.T, e *testenv.Env, id string) (*testenv.Response, string) {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
	var out struct {
		OAuth2 struct {
			AccessToken string `json:"access_token"`
		} `json:"oauth2"`
	}
	_ = json.Unmarshal(r.Body, &out)
	return r, out.OAuth2.AccessToken
}

func connectionCount(t *testing.T, e *testenv.Env) int {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/default/connections", e.OwnerKey, nil)
	var out struct {
		Items []any `json:"items"`
	}
	r.JSON(t, &out)
	return len(out.Items)
}

func TestOAuthConnectFlow(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			p := newProvider(t)
			ctr := oauthConnector(t, e, p)

			final, callback := authorize(t, connectSession(t, e, map[string]any{"connector_id": ctr, "connection_name": "acme"}))
			if final.Host != "app.example.com" || final.Path != "/done" {
				t.Fatalf("final redirect = %s, want the success URL", final)
			}
			id := final.Query().Get("connection_id")
			r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET connection: %d %s", r.Status, r.Body)
			}
			c := r.Map(t)
			if c["connection_name"] != "acme" || c["status"] != "ACTIVE" {
				t.Errorf("connection = %s", r.Body)
			}
			if strings.Contains(string(r.Body), "access-") || strings.Contains(string(r.Body), "refresh-") {
				t.Errorf("GET connection shows a token: %s", r.Body)
			}
			r, at := credentials(t, e, id)
			if r.Status != http.StatusOK || at != "access-2" {
				t.Fatalf("credentials: %d %s, want access-2", r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), "refresh-") {
				t.Errorf("credentials show the refresh token: %s", r.Body)
			}
			var cred struct {
				OAuth2 struct {
					Scopes    []string  `json:"scopes"`
					ExpiresAt time.Time `json:"expires_at"`
				} `json:"oauth2"`
			}
			r.JSON(t, &cred)
			if strings.Join(cred.OAuth2.Scopes, " ") != "read write" || time.Until(cred.OAuth2.ExpiresAt) < 50*time.Minute {
				t.Errorf("granted scopes / expiry = %v %v", cred.OAuth2.Scopes, cred.OAuth2.ExpiresAt)
			}
			if p.exchangeCalls.Load() != 1 {
				t.Errorf("exchange calls = %d, want 1", p.exchangeCalls.Load())
			}

			// The callback again (a replayed state): failure, nothing created, no exchange.
			again, err := url.Parse(hop(t, callback))
			if err != nil || again.Path != "/failed" || again.Query().Get("error") != "invalid_state" {
				t.Errorf("replayed callback → %s, want the failure URL with invalid_state", again)
			}
			if n := connectionCount(t, e); n != 1 {
				t.Errorf("%d connections after a replayed state, want 1", n)
			}
			if p.exchangeCalls.Load() != 1 {
				t.Errorf("a replayed state reached the token endpoint")
			}
			// A state no session has: 400, nothing to redirect to.
			resp, err := browser.Get(e.URL + "/connect/callback?code=code-x&state=forged")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("forged state: %d, want 400", resp.StatusCode)
			}

			// Re-authorize in place: same id, config kept, new token.
			if r := e.Do(t, "PATCH", "/v1/workspaces/default/connections/"+id, e.OwnerKey,
				map[string]any{"config": map[string]any{"region": "eu"}}); r.Status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", r.Status, r.Body)
			}
			link := connectSession(t, e, map[string]any{"connector_id": ctr, "connection_id": id})
			final, _ = authorize(t, link)
			if final.Path != "/done" || final.Query().Get("connection_id") != id {
				t.Fatalf("re-authorize → %s, want success with the same connection id", final)
			}
			if _, at := credentials(t, e, id); at != "access-4" {
				t.Errorf("after re-authorize the token is %q, want access-4", at)
			}
			c = e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)
			if cfg, _ := c["config"].(map[string]any); cfg["region"] != "eu" {
				t.Errorf("re-authorize lost the config: %v", c["config"])
			}
			if n := connectionCount(t, e); n != 1 {
				t.Errorf("%d connections after re-authorize, want 1", n)
			}
			// The link is single-use.
			if u, _ := url.Parse(hop(t, link)); u.Path != "/failed" || u.Query().Get("error") != "link_expired" {
				t.Errorf("link used twice → %s, want the failure URL", u)
			}

			// The user declines at the provider: the provider's error, nothing created.
			toProvider, err := url.Parse(hop(t, connectSession(t, e, map[string]any{"connector_id": ctr})))
			if err != nil {
				t.Fatal(err)
			}
			declined, _ := url.Parse(hop(t, e.URL+"/connect/callback?"+url.Values{
				"error": {"access_denied"}, "state": {toProvider.Query().Get("state")}}.Encode()))
			if declined.Path != "/failed" || declined.Query().Get("error") != "access_denied" {
				t.Errorf("declined → %s, want the failure URL with access_denied", declined)
			}
			if n := connectionCount(t, e); n != 1 {
				t.Errorf("%d connections after a declined authorization, want 1", n)
			}

			// No token, secret, link token or state in the server's logs.
			logs := e.Logs()
			for _, secret := range []string{"access-", "refresh-", p.clientSecret, link[strings.LastIndex(link, "/")+1:],
				toProvider.Query().Get("state")} {
				if strings.Contains(logs, secret) {
					t.Errorf("the logs contain %q", secret)
				}
			}
		})
	}
}

func TestOAuthExpiredState(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d, testenv.WithOAuth(switchboard.OAuthOptions{SessionTTL: 700 * time.Millisecond}))
			p := newProvider(t)
			ctr := oauthConnector(t, e, p)
			link := connectSession(t, e, map[string]any{"connector_id": ctr})
			callback := hop(t, hop(t, link))
			time.Sleep(time.Second)
			final, err := url.Parse(hop(t, callback))
			if err != nil || final.Path != "/failed" || final.Query().Get("error") != "invalid_state" {
				t.Errorf("expired state → %s, want the failure URL with invalid_state", final)
			}
			if n := connectionCount(t, e); n != 0 {
				t.Errorf("%d connections after an expired state, want 0", n)
			}
			if p.exchangeCalls.Load() != 0 {
				t.Errorf("an expired state reached the token endpoint")
			}
			// An expired link is refused before the provider.
			link = connectSession(t, e, map[string]any{"connector_id": ctr})
			time.Sleep(time.Second)
			if u, _ := url.Parse(hop(t, link)); u.Path != "/failed" || u.Query().Get("error") != "link_expired" {
				t.Errorf("expired link → %s, want the failure URL", u)
			}
		})
	}
}

// connected runs the connect flow and returns the new connection's id.
func connected(t *testing.T, e *testenv.Env, ctr string) string {
	t.Helper()
	final, _ := authorize(t, connectSession(t, e, map[string]any{"connector_id": ctr}))
	id := final.Query().Get("connection_id")
	if id == "" {
		t.Fatalf("connect flow ended at %s", final)
	}
	return id
}

func TestOAuthRefreshOnRead(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d, testenv.WithOAuth(switchboard.OAuthOptions{Backoff: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}}))
			p := newProvider(t)
			p.initialTTL = 5 * time.Minute // within the default 15-minute margin
			ctr := oauthConnector(t, e, p)
			id := connected(t, e, ctr)

			// Two temporary failures, then success: retried with backoff.
			p.mu.Lock()
			p.fail503 = 2
			p.mu.Unlock()
			r, at := credentials(t, e, id)
			if r.Status != http.StatusOK || at != "access-3" {
				t.Fatalf("first read: %d %s, want the refreshed access-3", r.Status, r.Body)
			}
			if n := p.refreshCalls.Load(); n != 3 {
				t.Errorf("refresh calls = %d, want 3 (two 503s, one success)", n)
			}
			if _, at := credentials(t, e, id); at != "access-3" || p.refreshCalls.Load() != 3 {
				t.Errorf("second read: %q after %d refresh calls; a fresh token must not be refreshed", at, p.refreshCalls.Load())
			}
		})
	}
}

func TestOAuthRefreshFailures(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d, testenv.WithOAuth(switchboard.OAuthOptions{Backoff: []time.Duration{10 * time.Millisecond}}))
			p := newProvider(t)
			p.initialTTL = 5 * time.Minute
			ctr := oauthConnector(t, e, p)

			// The provider is down but the token has minutes left: it is handed out, status
			// unchanged.
			down := connected(t, e, ctr)
			p.mu.Lock()
			p.failWith = "503"
			p.mu.Unlock()
			if r, at := credentials(t, e, down); r.Status != http.StatusOK || at != "access-2" {
				t.Errorf("provider down, token still valid: %d %s", r.Status, r.Body)
			}
			if c := e.Do(t, "GET", "/v1/workspaces/default/connections/"+down, e.OwnerKey, nil).Map(t); c["status"] != "ACTIVE" {
				t.Errorf("a temporary failure changed the status: %v", c["status"])
			}

			// The provider refuses the refresh token: FAILED, re-authorization needed.
			p.mu.Lock()
			p.failWith = "invalid_grant"
			p.mu.Unlock()
			r, _ := credentials(t, e, down)
			if r.Status != http.StatusConflict || errCode(r) != "4090" {
				t.Errorf("invalid_grant: %d %s, want 409 4090", r.Status, r.Body)
			}
			c := e.Do(t, "GET", "/v1/workspaces/default/connections/"+down, e.OwnerKey, nil).Map(t)
			health, _ := c["health"].(map[string]any)
			if c["status"] != "FAILED" || health["last_error"] != "re-authorization needed" {
				t.Errorf("after invalid_grant: status %v, health %v", c["status"], c["health"])
			}
			a := e.Do(t, "GET", "/v1/workspaces/default/audit", e.OwnerKey, nil)
			if !strings.Contains(string(a.Body), `"connection.refresh_failed"`) {
				t.Errorf("no connection.refresh_failed audit event: %s", a.Body)
			}

			// Re-authorizing brings it back: ACTIVE, no error, a usable token.
			p.mu.Lock()
			p.failWith = ""
			p.mu.Unlock()
			p.initialTTL = time.Hour
			final, _ := authorize(t, connectSession(t, e, map[string]any{"connector_id": ctr, "connection_id": down}))
			if final.Query().Get("connection_id") != down {
				t.Fatalf("re-authorize → %s", final)
			}
			c = e.Do(t, "GET", "/v1/workspaces/default/connections/"+down, e.OwnerKey, nil).Map(t)
			health, _ = c["health"].(map[string]any)
			if c["status"] != "ACTIVE" || health["last_error"] != nil && health["last_error"] != "" {
				t.Errorf("after re-authorize: status %v, health %v", c["status"], c["health"])
			}
			if r, at := credentials(t, e, down); r.Status != http.StatusOK || at == "" || at == "access-2" {
				t.Errorf("after re-authorize: %d %s, want a new token", r.Status, r.Body)
			}

			// A connection of another workspace (or none) cannot be re-authorized from here.
			r = e.Do(t, "POST", "/v1/workspaces/default/connect-sessions", e.OwnerKey, map[string]any{
				"connector_id": ctr, "connection_id": "conn_elsewhere",
				"success_url": "https://app.example.com/done", "failure_url": "https://app.example.com/failed"})
			if r.Status != http.StatusNotFound {
				t.Errorf("connect session for an unknown connection: %d %s, want 404", r.Status, r.Body)
			}
		})
	}
}

// TestOAuthRefreshOnceAcrossReplicas reads the credentials of a connection whose token needs
// a refresh 50 times at once through three replicas sharing one database, against a provider
// that rotates refresh tokens: exactly one refresh reaches the provider and every reader
// gets the new token.
func TestOAuthRefreshOnceAcrossReplicas(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			p := newProvider(t)
			p.initialTTL = 5 * time.Minute
			p.refreshDelay = 300 * time.Millisecond // a window for the others to pile up
			ctr := oauthConnector(t, e, p)
			id := connected(t, e, ctr)
			replicas := []*testenv.Env{e, e.Replica(t), e.Replica(t)}

			const readers = 50
			got := make([]string, readers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range readers {
				wg.Go(func() {
					<-start
					rep := replicas[i%len(replicas)]
					req, _ := http.NewRequest("GET", rep.URL+"/v1/workspaces/default/connections/"+id+"/credentials", nil)
					req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Errorf("reader %d: %v", i, err)
						return
					}
					defer resp.Body.Close()
					var out struct {
						OAuth2 struct {
							AccessToken string `json:"access_token"`
						} `json:"oauth2"`
					}
					if resp.StatusCode != http.StatusOK {
						t.Errorf("reader %d: %d", i, resp.StatusCode)
						return
					}
					_ = json.NewDecoder(resp.Body).Decode(&out)
					got[i] = out.OAuth2.AccessToken
				})
			}
			close(start)
			wg.Wait()
			if n := p.refreshCalls.Load(); n != 1 {
				t.Errorf("refresh calls = %d, want exactly 1", n)
			}
			for i, at := range got {
				if at != "access-3" {
					t.Errorf("reader %d got %q, want the new token access-3", i, at)
				}
			}
			// The rotated refresh token was stored: a replica with a margin longer than the
			// token's life refreshes again, with it, successfully.
			eager := e.Replica(t, testenv.WithOAuth(switchboard.OAuthOptions{RefreshMargin: 2 * time.Hour}))
			if r, at := credentials(t, eager, id); at != "access-4" {
				t.Errorf("refresh after the storm: %d %s, want access-4", r.Status, r.Body)
			}
		})
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			p := newProvider(t)
			p.refreshDelay = 200 * time.Millisecond
			r := e.Do(t, "POST", "/v1/workspaces/default/connectors", e.OwnerKey, map[string]any{
				"key": "acme-machine", "schema": rawJSON(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"properties":{}}`),
				"auth_schemes": []string{"oauth2"},
				"oauth2":       map[string]any{"token_url": p.URL + "/token", "scopes": []string{"api"}, "grant": "client_credentials"},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create connector: %d %s", r.Status, r.Body)
			}
			ctr := r.Map(t)["id"].(string)
			if r := e.Do(t, "PUT", "/v1/workspaces/default/connectors/"+ctr+"/oauth-client", e.OwnerKey,
				map[string]any{"client_id": p.clientID, "client_secret": p.clientSecret}); r.Status != http.StatusOK {
				t.Fatalf("put client: %d %s", r.Status, r.Body)
			}
			r = e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": ctr, "connection_name": "machine", "config": map[string]any{}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create connection: %d %s", r.Status, r.Body)
			}
			id := r.Map(t)["id"].(string)

			// Concurrent first reads fetch one token.
			var wg sync.WaitGroup
			got := make([]string, 10)
			for i := range got {
				wg.Go(func() {
					req, _ := http.NewRequest("GET", e.URL+"/v1/workspaces/default/connections/"+id+"/credentials", nil)
					req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					var out struct {
						OAuth2 struct {
							AccessToken string `json:"access_token"`
							GrantType   string `json:"grant_type"`
						} `json:"oauth2"`
					}
					_ = json.NewDecoder(resp.Body).Decode(&out)
					got[i] = out.OAuth2.AccessToken + "/" + out.OAuth2.GrantType
				})
			}
			wg.Wait()
			for i, g := range got {
				if g != "access-1/client_credentials" {
					t.Errorf("reader %d got %q", i, g)
				}
			}
			if n := p.clientCalls.Load(); n != 1 {
				t.Errorf("client credentials calls = %d, want 1", n)
			}
			// Re-fetched when it expires within the margin (a replica with a margin longer
			// than the token's life sees it so).
			eager := e.Replica(t, testenv.WithOAuth(switchboard.OAuthOptions{RefreshMargin: 2 * time.Hour}))
			if _, at := credentials(t, eager, id); at != "access-2" || p.clientCalls.Load() != 2 {
				t.Errorf("re-fetch: %q after %d calls, want access-2 after 2", at, p.clientCalls.Load())
			}
		})
	}
}

func TestOAuthBackgroundRefresher(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			p := newProvider(t)
			p.initialTTL = 5 * time.Minute
			ctr := oauthConnector(t, e, p)
			idle := connected(t, e, ctr)
			failed := connected(t, e, ctr)
			if r := e.Do(t, "PATCH", "/v1/workspaces/default/connections/"+failed, e.OwnerKey,
				map[string]any{"enabled": false}); r.Status != http.StatusOK {
				t.Fatalf("disable: %d %s", r.Status, r.Body)
			}
			n, err := e.Service.RefreshExpiring(t.Context(), 10)
			if err != nil || n != 1 {
				t.Fatalf("RefreshExpiring = %d, %v; want 1 (the disabled connection is skipped)", n, err)
			}
			if p.refreshCalls.Load() != 1 {
				t.Errorf("refresh calls = %d, want 1", p.refreshCalls.Load())
			}
			// The reader finds a fresh token: no refresh on read.
			if _, at := credentials(t, e, idle); at != "access-5" || p.refreshCalls.Load() != 1 {
				t.Errorf("read after the background refresh: %q, %d refresh calls", at, p.refreshCalls.Load())
			}
			if n, err := e.Service.RefreshExpiring(t.Context(), 10); err != nil || n != 0 {
				t.Errorf("second RefreshExpiring = %d, %v; want 0", n, err)
			}
		})
	}
}
