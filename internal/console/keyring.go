package console

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
)

// keyringData is the keyring page's content.
type keyringData struct {
	S *switchboard.KeyringStatus
}

func (c *Console) keyring(q *req) error {
	st, err := c.cfg.Service.KeyringStatus(q.ctx)
	if err != nil {
		return err
	}
	return c.page(q, http.StatusOK, "keyring", q.l.T("keyring.title"), "keyring", keyringData{S: st})
}
