package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/securechannel"
)

// SecureChannelPath is where the server publishes its SecureChannel public key, as a JWKS.
const SecureChannelPath = "/.well-known/switchboard/secure-channel.json"

// secureChannelKey returns the configured SecureChannel key or, without one, a key generated
// for this process: replicas would then publish different keys, so it warns.
func (s *Server) secureChannelKey() *ecdsa.PrivateKey {
	if s.cfg.SecureChannelKey != nil {
		return s.cfg.SecureChannelKey
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		// crypto/rand does not fail (Go 1.24+); a failure here is a broken build.
		panic("server: generate SecureChannel key: " + err.Error())
	}
	s.cfg.Logger.Warn("no SecureChannel key configured: generated one for this process; replicas will publish different keys",
		"jwks", SecureChannelPath)
	s.cfg.SecureChannelKey = k
	return k
}

// withSecureChannel wraps a compat route's handler with SecureChannel decryption when the
// route asks for it; refusals are written in the route's error shape.
func (s *Server) withSecureChannel(rt httpx.Route) httpx.Route {
	if rt.SecureChannel == httpx.SecureChannelOff {
		return rt
	}
	limit := s.cfg.BodyLimit
	if limit <= 0 {
		limit = api.DefaultBodyLimit
	}
	rt.Handler = securechannel.Decrypt(s.secureChannelKey(), securechannel.Options{
		Require:    rt.SecureChannel == httpx.SecureChannelRequire,
		Limit:      limit,
		WriteError: rt.WriteError,
	})(rt.Handler)
	return rt
}
