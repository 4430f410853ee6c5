package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/switchboardhq/switchboard/client"
)

// fakeSwitchboard answers two routes the way a Switchboard server does: a list of one
// connection, and a 404 for any other connection.
func fakeSwitchboard() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/workspaces/default/connections", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items":[{"id":"conn_1","workspace_id":"default","connector_id":"http-bearer",
			"connection_name":"crm","status":"ACTIVE","environment":"production",
			"config":{"base_url":"https://api.example.com","token":"****1706"},"secret_fields":["token"]}]}`)
	})
	mux.HandleFunc("GET /v1/workspaces/default/connections/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":"4040","message":"connection not found","request_id":"req_123"}`)
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := fakeSwitchboard() // a real server: "http://127.0.0.1:8080"
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, "sbk_...") // an API key, or a JWT
	if err != nil {
		panic(err)
	}
	for conn, err := range c.AllConnections(ctx, "default", client.ConnectionFilter{Status: "ACTIVE"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(conn.ID, conn.Name, conn.Config["token"])
	}

	_, err = c.GetConnection(ctx, "default", "conn_gone")
	if e, ok := errors.AsType[*client.Error](err); ok {
		fmt.Println(e.Status, e.Code, e.Message, e.RequestID)
	}
	fmt.Println(client.IsNotFound(err))
	// Output:
	// conn_1 crm ****1706
	// 404 4040 connection not found req_123
	// true
}
