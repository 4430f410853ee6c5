package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// akPattern and skPattern match the access key lines "accesskey create" prints.
var (
	akPattern = regexp.MustCompile(`(?m)^AK: (SBAK[A-Z0-9]{16})$`)
	skPattern = regexp.MustCompile(`^SK: ([A-Za-z0-9]{40})$`)
)

// signedGet sends a GET signed like Huawei's SDK (SDK-HMAC-SHA256; no query, no body),
// written from the documented algorithm.
func signedGet(t *testing.T, url, path, ak, sk string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Now().UTC().Format("20060102T150405Z")
	req.Header.Set("X-Sdk-Date", date)
	req.Header.Set("X-Project-Id", "default")
	empty := sha256.Sum256(nil)
	canonical := "GET\n" + path + "/\n\nx-project-id:default\nx-sdk-date:" + date + "\n\nx-project-id;x-sdk-date\n" + hex.EncodeToString(empty[:])
	sum := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + date + "\n" + hex.EncodeToString(sum[:])))
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders=x-project-id;x-sdk-date, Signature="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// accesskey create seals the SK with the keyring serve uses and prints AK and SK; the running
// server accepts requests signed with them on the SecMaster routes.
func TestAccessKeyCreate(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)

			r := mustRun(t, nil, append([]string{"accesskey", "create", "--workspace", "default", "--role", "editor",
				"--scope", "credentials:read", "--name", "huawei sdk"}, b.flags()...)...)
			m := akPattern.FindStringSubmatch(r.stdout)
			last := skPattern.FindStringSubmatch(lastLine(r.stdout))
			if m == nil || last == nil {
				t.Fatalf("accesskey create printed no AK line or its last line is not the SK (%d lines)", strings.Count(r.stdout, "\n"))
			}
			ak, sk := m[1], last[1]
			if strings.Contains(r.stderr, sk) {
				t.Errorf("the SK also went to stderr")
			}
			for _, want := range []string{`(?m)^role: editor$`, `(?m)^workspace: default$`, `(?m)^scopes: credentials:read$`} {
				if !regexp.MustCompile(want).MatchString(r.stdout) {
					t.Errorf("accesskey create output lacks %s", want)
				}
			}
			path := "/v1/default/workspaces/default/soc/assetcredentials"
			if got := signedGet(t, p.base, path, ak, sk); got != http.StatusOK {
				t.Errorf("signed list with the new key: %d", got)
			}
			wrong := sk[:len(sk)-1] + "x"
			if wrong == sk {
				wrong = sk[:len(sk)-1] + "y"
			}
			if got := signedGet(t, p.base, path, ak, wrong); got != http.StatusUnauthorized {
				t.Errorf("signed list with a wrong SK: %d", got)
			}

			// "*" is not a workspace for an access key; nor is an unknown one; nor a bad role.
			for _, args := range [][]string{
				{"--workspace", "*", "--role", "viewer"},
				{"--workspace", "nope", "--role", "viewer"},
				{"--workspace", "default", "--role", "root"},
				{"--workspace", "default", "--role", "viewer", "--scope", "admin:all"},
			} {
				r := run(t, nil, append(append([]string{"accesskey", "create"}, args...), b.flags()...)...)
				if r.code == 0 || strings.Contains(r.stdout, "SK:") {
					t.Errorf("accesskey create %v: exit %d, printed a key: %v", args, r.code, strings.Contains(r.stdout, "SK:"))
				}
			}
			p.stop()
		})
	}
}
