package api

import _ "embed"

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the native API (and the health, readiness and
// metrics routes). It is written by hand; a test checks it names exactly the mounted routes.
func OpenAPI() []byte { return openAPI }
