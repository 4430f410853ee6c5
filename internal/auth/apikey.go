package auth

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/switchboardhq/switchboard"
)

// apiKeyLen is the length of every key switchboard.GenerateAPIKey returns: the prefix and 256
// bits in unpadded base32.
const apiKeyLen = len(switchboard.APIKeyPrefix) + 52

func (a *Authenticator) authenticateAPIKey(ctx context.Context, token string) (*switchboard.Principal, error) {
	if len(token) != apiKeyLen {
		return nil, unauthenticated(errors.New("api key: malformed"))
	}
	hash := switchboard.HashAPIKey(token)
	key, err := a.keys.GetAPIKeyByHash(ctx, hash)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeNotFound:
		return nil, unauthenticated(errors.New("api key: unknown"))
	case err != nil:
		// The store is down or broken: that is not the caller's fault, and answering 401 would
		// make well-behaved clients drop a good key.
		return nil, err
	case key == nil:
		return nil, unauthenticated(errors.New("api key: store returned no key"))
	}
	// The store matched on the hash already; comparing again guards against a store that
	// matches loosely (a prefix index, a case-folding collation) and costs nothing.
	if subtle.ConstantTimeCompare(key.Hash, hash) != 1 {
		return nil, unauthenticated(errors.New("api key: hash mismatch"))
	}
	if key.RevokedAt != nil {
		return nil, unauthenticated(errors.New("api key: revoked"))
	}
	if key.TenantID == "" || key.WorkspaceID == "" || !key.Role.Valid() {
		return nil, unauthenticated(errors.New("api key: stored key is incomplete"))
	}
	return key.Principal(), nil
}
