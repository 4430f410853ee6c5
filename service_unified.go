package switchboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Secrets kept outside Switchboard.
//
// Why this is core: a client may keep a connection's secrets in its own vault and give
// Switchboard only where they are (Unified.to's auth_aws_arn, auth_azure_keyvault_id,
// auth_gcp_secret_name, auth_hashi_vault_path, secretsmanager_id/key). Such a connection
// references, in its action slot, a credential whose ExternalRef says where the secrets are.
// Its connector's schema still requires the secret fields (a HubSpot connection needs a
// token), but those values are not Switchboard's to hold, so the rule is: a connection whose
// action credentials include an external reference is not asked for the schema's required
// secret (writeOnly) fields. Every value it does give is still validated, and every other
// rule of the schema (non-secret required fields, types, patterns, unknown fields) still
// holds. The rule is derived from the stored references, so it holds on every later update
// too, and removing the reference makes the secrets required again.

// externalSecrets reports whether a connection with these references keeps its secrets
// outside: one of its action credentials is an external reference. A reference to a
// credential that does not exist is the same error checkRefs gives.
func (s *Service) externalSecrets(ctx context.Context, wsID string, refs CredentialRefs) (bool, error) {
	for i, id := range refs.Action {
		cred, err := s.store.GetCredential(ctx, wsID, id)
		if err != nil {
			if ErrorCode(err) == CodeNotFound {
				return false, Invalid(indexField("credentials.action", i), "invalid")
			}
			return false, err
		}
		if cred.ExternalRef != nil {
			return true, nil
		}
	}
	return false, nil
}

// check validates config like validate, except that with external set, a config whose only
// failures are missing secret fields is valid.
func (cs *configSchema) check(prefix string, config map[string]any, external bool) error {
	if external && cs.onlySecretsMissing(config) {
		return nil
	}
	return cs.validate(prefix, config)
}

// onlySecretsMissing reports whether config satisfies the schema once every missing secret
// field is taken as given: each failure, followed through anyOf/oneOf (one branch suffices)
// and every other grouping (all must), ends in a top-level "required" naming secret fields
// only.
func (cs *configSchema) onlySecretsMissing(config map[string]any) bool {
	raw, err := json.Marshal(config)
	if err != nil {
		return false
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	err = cs.schema.Validate(inst)
	if err == nil {
		return true
	}
	ve, ok := errors.AsType[*jsonschema.ValidationError](err)
	return ok && cs.excused(ve)
}

func (cs *configSchema) excused(ve *jsonschema.ValidationError) bool {
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		if len(ve.InstanceLocation) != 0 {
			return false // a nested object's field: not a top-level secret
		}
		for _, m := range k.Missing {
			if !cs.secrets[m] {
				return false
			}
		}
		return true
	case *kind.AnyOf:
		for _, c := range ve.Causes {
			if cs.excused(c) {
				return true
			}
		}
		return false
	case *kind.OneOf:
		if len(k.Subschemas) > 0 {
			return false // several branches matched: missing fields do not explain that
		}
		for _, c := range ve.Causes {
			if cs.excused(c) {
				return true
			}
		}
		return false
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		if len(ve.Causes) == 0 {
			return false
		}
		for _, c := range ve.Causes {
			if !cs.excused(c) {
				return false
			}
		}
		return true
	}
	return false
}
