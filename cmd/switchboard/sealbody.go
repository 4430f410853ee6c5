package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchboardhq/switchboard/internal/securechannel"
)

// secureChannelLabel is the HKDF label serve derives its SecureChannel key with, from the
// keyring's active key. Changing it changes the published key.
const secureChannelLabel = "switchboard/secure-channel/p256/v1"

// maxJWKS bounds the JWKS document seal-body reads.
const maxJWKS = 64 << 10

// sealBodyCmd encrypts a JSON body to a server's SecureChannel key: the client side of
// SecureChannel, for scripts and for trying it with curl.
func sealBodyCmd(o *options) *cobra.Command {
	var jwksURL, jwksFile string
	cmd := &cobra.Command{
		Use:   "seal-body",
		Short: "Encrypt a JSON request body (stdin) to a server's SecureChannel key; prints the compact JWE to send as Content-Type: application/jose",
		Long: `Reads a JSON body on stdin and writes a compact JWE (ECDH-ES, A256GCM) to stdout,
encrypted to the key the server publishes at /.well-known/switchboard/secure-channel.json:

  switchboard seal-body --jwks-url http://127.0.0.1:8080/.well-known/switchboard/secure-channel.json < body.json > body.jwe
  curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/jose' --data-binary @body.jwe \
    http://127.0.0.1:8080/web/v1/workspaces/default/slash/connections`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var doc []byte
			var err error
			switch {
			case jwksFile != "":
				doc, err = os.ReadFile(jwksFile)
			case jwksURL != "":
				doc, err = fetchJWKS(cmd.Context(), jwksURL)
			default:
				return errors.New("--jwks-url or --jwks-file is required")
			}
			if err != nil {
				return err
			}
			pub, kid, err := securechannel.EncryptionKey(doc)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), securechannel.DefaultLimit+1))
			if err != nil {
				return err
			}
			if len(body) > securechannel.DefaultLimit {
				return fmt.Errorf("the body is larger than %d bytes", securechannel.DefaultLimit)
			}
			jwe, err := securechannel.Seal(pub, kid, body)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(o.stdout, jwe)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&jwksURL, "jwks-url", env("SWITCHBOARD_SECURE_CHANNEL_JWKS_URL", ""), "URL of the server's SecureChannel JWKS (env SWITCHBOARD_SECURE_CHANNEL_JWKS_URL)")
	f.StringVar(&jwksFile, "jwks-file", "", "read the JWKS from this file instead of a URL")
	return cmd
}

func fetchJWKS(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxJWKS))
}
