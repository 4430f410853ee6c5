package slash

// createRequest is SlashTenantConnectionCreateRequest. Every field but tenantBizId is
// required and must not be blank.
type createRequest struct {
	ConnectionName     string `json:"connectionName"`
	PartnerEndpoint    string `json:"partnerEndpoint"`
	SlashAPIBaseURL    string `json:"slashApiBaseUrl"`
	SlashAPIKey        string `json:"slashApiKey"`
	SlashAccountID     string `json:"slashAccountId"`
	SlashWebhookSecret string `json:"slashWebhookSecret"`
	TenantBizID        string `json:"tenantBizId,omitempty"`
}

// connection is a Slash connection as every route returns it; the three sensitive fields are
// masked (first 4 + "****" + last 4). bizId repeats connectionBizId, as the vendor's list
// examples name it.
type connection struct {
	ConnectionBizID      string `json:"connectionBizId"`
	BizID                string `json:"bizId"`
	WorkspaceID          string `json:"workspaceId"`
	TenantBizID          string `json:"tenantBizId"`
	ConnectionName       string `json:"connectionName"`
	PartnerEndpoint      string `json:"partnerEndpoint"`
	SlashAPIBaseURL      string `json:"slashApiBaseUrl"`
	SlashAPIKey          string `json:"slashApiKey"`
	SlashAccountID       string `json:"slashAccountId"`
	SlashWebhookSecret   string `json:"slashWebhookSecret"`
	ConnectionStatus     int    `json:"connectionStatus"`
	ConnectionStatusName string `json:"connectionStatusName"`
	CreatedAt            string `json:"createdAt"`
	UpdatedAt            string `json:"updatedAt"`
	// Unreadable is set (and the three sensitive fields are empty) when the stored secrets do
	// not decrypt: a corrupt row, or one sealed under another key. Absent otherwise.
	Unreadable bool `json:"unreadable,omitempty"`
}

// webhookSecret is the answer of the webhook-secret route: the secret in clear.
type webhookSecret struct {
	ConnectionBizID    string `json:"connectionBizId"`
	SlashWebhookSecret string `json:"slashWebhookSecret"`
}

// errorBody is the Slash error: {"code":"4000","message":"connectionName must not be blank"}.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
