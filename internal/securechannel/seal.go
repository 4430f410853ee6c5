package securechannel

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// EncryptionKey picks the key to encrypt to from a JWKS document as PublicJWKS publishes it:
// the first P-256 public key whose "use" is "enc" (or unset) and whose "alg" is ECDH-ES (or
// unset). It returns the key and its kid.
func EncryptionKey(jwks []byte) (*ecdsa.PublicKey, string, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, "", fmt.Errorf("securechannel: not a JWKS document: %w", err)
	}
	for _, k := range set.Keys {
		pub, ok := k.Key.(*ecdsa.PublicKey)
		if !ok || pub.Curve.Params().Name != "P-256" {
			continue
		}
		if (k.Use != "" && k.Use != "enc") || (k.Algorithm != "" && k.Algorithm != string(KeyAlgorithm)) {
			continue
		}
		return pub, k.KeyID, nil
	}
	return nil, "", errors.New("securechannel: the JWKS has no P-256 ECDH-ES encryption key")
}

// Seal encrypts a JSON body to pub as a compact JWE (ECDH-ES, A256GCM, "cty":"application/json",
// "kid" when given): the body to send with "Content-Type: application/jose".
func Seal(pub *ecdsa.PublicKey, kid string, body []byte) (string, error) {
	enc, err := jose.NewEncrypter(ContentEncryption,
		jose.Recipient{Algorithm: KeyAlgorithm, Key: pub, KeyID: kid},
		(&jose.EncrypterOptions{}).WithContentType("application/json"))
	if err != nil {
		return "", fmt.Errorf("securechannel: %w", err)
	}
	obj, err := enc.Encrypt(body)
	if err != nil {
		return "", fmt.Errorf("securechannel: %w", err)
	}
	return obj.CompactSerialize()
}
