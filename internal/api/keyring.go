package api

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type keyringKeyJSON struct {
	ID        string `json:"id"`
	Rows      int    `json:"rows"`
	Active    bool   `json:"active"`
	InKeyring bool   `json:"in_keyring"`
}

type rewrapJSON struct {
	Total     int  `json:"total"`
	Done      int  `json:"done"`
	Remaining int  `json:"remaining"`
	Complete  bool `json:"complete"`
}

type keyringJSON struct {
	ActiveKeyID string           `json:"active_key_id"`
	Keys        []keyringKeyJSON `json:"keys"`
	Rewrap      rewrapJSON       `json:"rewrap"`
}

func keyringOut(st *switchboard.KeyringStatus) keyringJSON {
	out := keyringJSON{ActiveKeyID: st.ActiveKeyID, Keys: []keyringKeyJSON{}, Rewrap: rewrapJSON(st.Rewrap)}
	for _, k := range st.Keys {
		out.Keys = append(out.Keys, keyringKeyJSON(k))
	}
	return out
}

func (a *API) getKeyring(w http.ResponseWriter, r *http.Request) error {
	st, err := a.svc.KeyringStatus(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, keyringOut(st))
	return nil
}
