package api

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// healthResultJSON is the outcome of one health check run by the test route.
type healthResultJSON struct {
	Healthy   bool      `json:"healthy"`
	Error     string    `json:"error"`
	CheckedAt time.Time `json:"checked_at"`
}

// connectionTestJSON is the answer of POST .../connections/{id}/test: the connection as
// stored with the check's result, and the result itself.
type connectionTestJSON struct {
	Connection connectionJSON   `json:"connection"`
	Result     healthResultJSON `json:"result"`
}

// testConnection runs the connection's health check now.
func (a *API) testConnection(w http.ResponseWriter, r *http.Request) error {
	c, res, err := a.svc.TestConnection(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusOK, connectionTestOut(c, res))
	return nil
}

func connectionTestOut(c *switchboard.Connection, res switchboard.HealthResult) connectionTestJSON {
	return connectionTestJSON{
		Connection: connectionOut(c),
		Result:     healthResultJSON{Healthy: res.Healthy, Error: res.Error, CheckedAt: res.CheckedAt.UTC()},
	}
}
