package loadgen

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
)

// A scenario is one kind of request: its route, the status that counts as success, the
// headers it carries and how each request's path and body are made.
type scenario struct {
	name    string
	method  string
	pattern string // the route as a net/http pattern; the floor serves it
	want    int    // success status

	needsIDs  bool // picks among the seeded connections
	needsList bool // needs at least a page of 100 stored

	// header sets the scenario's headers for token and workspace.
	header func(h http.Header, token, ws string)
	// next returns the path (with query) and body of the worker's next request.
	next func(b *bench, w *worker) (path string, body []byte)
}

// worker is the state of one request loop.
type worker struct {
	rng   *rand.Rand
	floor bool // sending to the floor server, which keeps nothing
}

// newBody is a buffer for one request body. Each request gets its own: the transport may
// still be reading a body when its answer, and so the worker's next request, comes (a server
// may answer before reading the whole body).
func newBody() []byte { return make([]byte, 0, 512) }

// bearer is the header set of the native API and the families that take a bearer token.
func bearer(h http.Header, token, _ string) {
	h.Set("Authorization", "Bearer "+token)
	h.Set("Content-Type", "application/json")
}

// Bodies, pre-encoded: a create appends a unique name between a prefix and a suffix.
const (
	kafkaConfig  = `{"kafkaAddr":"10.0.0.1:9092","userName":"svc","password":"bench-password-0123456789"}`
	nativePrefix = `{"connector_id":"kafka","connection_name":"`
	nativeSuffix = `","config":` + kafkaConfig + `}`

	slashPrefix = `{"connectionName":"`
	slashSuffix = `","partnerEndpoint":"https://partner.example.com/api","slashApiBaseUrl":"https://api.slash.com",` +
		`"slashApiKey":"sk_live_1234567890abcdef","slashAccountId":"acct_9876543210efgh","slashWebhookSecret":"whsec_abcdefghijklmnop"}`

	// The SecMaster documentation's Kafka plugin ids, which Switchboard maps onto "kafka".
	secmasterPrefix = `{"name":"`
	secmasterSuffix = `","description":"bench","component_id":"ad93ecc6-1723-4c2c-9976-9eb0182c2d18",` +
		`"component_version_id":"33fd1b37-1f39-4230-86c6-2d119e9f4fac",` +
		`"config":"{\"password\":\"bench-password-0123456789\",\"kafkaAddr\":\"10.0.0.1:9092\",\"userName\":\"svc\"}"}`

	versoriPrefix = `{"name":"`
	versoriMiddle = `","variables":[{"name":"region","value":"eu"}],"credentials":{"action":[{"authSchemeConfig":` +
		`{"id":"01M894Y23CYJY0X258MN3RYDW9","description":"API key in header","schemeType":"api-key","name":"X-API-Key","in":"header"},` +
		`"credential":{"name":"`
	versoriSuffix = `-key","type":"string","data":{"value":"sk_live_0123456789abcdef"}}}]}}`

	unifiedPrefix = `{"integration_type":"hubspot","categories":["crm"],"permissions":["crm_contact_read","crm_contact_write"],` +
		`"environment":"Production","auth":{"token":"pat-na1-0123456789abcdef"},"external_xref":"`
	unifiedSuffix = `"}`

	// versoriConnector is the workspace connector the versori scenario creates connections of
	// (Versori connections have no config, so the built-in connectors, which require some,
	// cannot be used).
	versoriConnector = "bench-api"
)

// name appends the next unique name (bench-<run>-<n>) to dst.
func (b *bench) name(dst []byte) []byte {
	dst = append(dst, "bench-"...)
	dst = append(dst, b.runID...)
	dst = append(dst, '-')
	return strconv.AppendInt(dst, b.seq.Add(1), 10)
}

// create returns a next func posting prefix + unique name + suffix to path.
func create(path func(b *bench) string, prefix, suffix string) func(*bench, *worker) (string, []byte) {
	return func(b *bench, _ *worker) (string, []byte) {
		buf := append(newBody(), prefix...)
		buf = b.name(buf)
		buf = append(buf, suffix...)
		return path(b), buf
	}
}

// randomID picks one of the seeded connections.
func (b *bench) randomID(w *worker) string { return b.ids[w.rng.IntN(len(b.ids))] }

var scenarios = []*scenario{
	{
		name: "create", method: "POST", pattern: "/v1/workspaces/{ws}/connections", want: http.StatusCreated,
		header: bearer,
		next:   create(func(b *bench) string { return b.wsPath + "/connections" }, nativePrefix, nativeSuffix),
	},
	{
		name: "credentials", method: "GET", pattern: "/v1/workspaces/{ws}/connections/{id}/credentials", want: http.StatusOK,
		needsIDs: true, header: bearer,
		next: func(b *bench, w *worker) (string, []byte) {
			return b.wsPath + "/connections/" + b.randomID(w) + "/credentials", nil
		},
	},
	{
		name: "get", method: "GET", pattern: "/v1/workspaces/{ws}/connections/{id}", want: http.StatusOK,
		needsIDs: true, header: bearer,
		next: func(b *bench, w *worker) (string, []byte) {
			return b.wsPath + "/connections/" + b.randomID(w), nil
		},
	},
	{
		name: "list", method: "GET", pattern: "/v1/workspaces/{ws}/connections", want: http.StatusOK,
		needsList: true, header: bearer,
		next: func(b *bench, _ *worker) (string, []byte) {
			return b.wsPath + "/connections?page_size=100", nil
		},
	},
	{
		name: "slash", method: "POST", pattern: "/web/v1/workspaces/{ws}/slash/connections", want: http.StatusCreated,
		header: func(h http.Header, token, ws string) {
			bearer(h, token, ws)
			h.Set("X-Workspace-Id", ws)
		},
		next: create(func(b *bench) string { return "/web" + b.wsPath + "/slash/connections" }, slashPrefix, slashSuffix),
	},
	{
		name: "secmaster", method: "POST", pattern: "/v1/{project}/workspaces/{ws}/soc/assetcredentials", want: http.StatusOK,
		header: func(h http.Header, token, _ string) {
			h.Set("X-Auth-Token", token)
			h.Set("Content-Type", "application/json;charset=UTF-8")
		},
		next: create(func(b *bench) string {
			return "/v1/" + b.tenant + "/workspaces/" + b.wsEsc + "/soc/assetcredentials"
		}, secmasterPrefix, secmasterSuffix),
	},
	{
		name: "versori", method: "POST", pattern: "/api/connect/v1/o/{ws}/connectors/{connector}/connections", want: http.StatusOK,
		header: bearer,
		next: func(b *bench, _ *worker) (string, []byte) {
			buf := append(newBody(), versoriPrefix...)
			buf = b.name(buf)
			name := string(buf[len(versoriPrefix):])
			buf = append(buf, versoriMiddle...)
			buf = append(buf, name...) // the credential is named after its connection
			buf = append(buf, versoriSuffix...)
			return "/api/connect/v1/o/" + b.wsEsc + "/connectors/" + versoriConnector + "/connections", buf
		},
	},
	{
		// Unified.to names no workspace: a key of several workspaces (the owner key) acts in
		// "default" whatever Workspace says.
		name: "unified", method: "POST", pattern: "/unified/connection", want: http.StatusOK,
		header: func(h http.Header, token, _ string) {
			h.Set("Authorization", token) // the Unified.to SDK sends the key bare
			h.Set("Content-Type", "application/json")
		},
		next: create(func(*bench) string { return "/unified/connection" }, unifiedPrefix, unifiedSuffix),
	},
	{
		// Enables a seeded connection for an organization: each (organization, connection)
		// pair once, so setup makes enough organizations for the run (see auth0Pairs).
		name: "auth0", method: "POST", pattern: "/api/v2/organizations/{org}/connections", want: http.StatusCreated,
		needsIDs: true,
		header: func(h http.Header, token, ws string) {
			bearer(h, token, ws)
			h.Set("X-Workspace-Id", ws)
		},
		next: func(b *bench, w *worker) (string, []byte) {
			k := 0 // the floor keeps nothing: it need not use up fresh pairs
			if !w.floor {
				k = int(b.auth0Seq.Add(1) - 1)
			}
			org := b.orgs[(k/len(b.ids))%len(b.orgs)]
			buf := append(newBody(), `{"connection_id":"`...)
			buf = append(buf, b.ids[k%len(b.ids)]...)
			buf = append(buf, `"}`...)
			return "/api/v2/organizations/" + org + "/connections", buf
		},
	},
}

// Scenarios returns the names of the scenarios, in the order they are described.
func Scenarios() []string {
	out := make([]string, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.name
	}
	return out
}

func scenarioByName(name string) *scenario {
	i := slices.IndexFunc(scenarios, func(s *scenario) bool { return s.name == name })
	if i < 0 {
		return nil
	}
	return scenarios[i]
}
