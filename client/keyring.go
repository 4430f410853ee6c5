package client

import (
	"context"
	"net/http"
)

// KeyringKey is one key-encryption key: how many data keys (rows) it wraps, whether it is
// the active one, and whether the server's keyring still holds it.
type KeyringKey struct {
	ID        string `json:"id"`
	Rows      int    `json:"rows"`
	Active    bool   `json:"active"`
	InKeyring bool   `json:"in_keyring"`
}

// KeyringRewrap is the progress of re-wrapping data keys with the active key.
type KeyringRewrap struct {
	Total     int  `json:"total"`
	Done      int  `json:"done"`
	Remaining int  `json:"remaining"`
	Complete  bool `json:"complete"`
}

// KeyringStatus is the server's keyring as GetKeyring reports it: key ids and counts, never
// key material.
type KeyringStatus struct {
	ActiveKeyID string        `json:"active_key_id"`
	Keys        []KeyringKey  `json:"keys"`
	Rewrap      KeyringRewrap `json:"rewrap"`
}

// GetKeyring returns the keyring's status: the active key id, the data keys each key
// wraps, and how far a rotation's re-wrap has come. It needs a tenant-wide admin.
func (c *Client) GetKeyring(ctx context.Context) (*KeyringStatus, error) {
	var out KeyringStatus
	_, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "keyring"}}, &out)
	return objOrNil(&out, err)
}
