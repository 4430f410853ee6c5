#!/usr/bin/env bash
# Drives the vendors' own Node SDKs — Unified.to's @unified-api/typescript-sdk and Auth0's
# `auth0` ManagementClient — against a freshly built, freshly started Switchboard.
#
#   sdktest/node/run.sh          (from anywhere; needs go, node >= 20 and npm)
#
# Builds ./cmd/switchboard, starts `serve` on a free loopback port with a temporary data dir,
# takes the owner key from the first-start banner on its stderr (never printed), runs
# `npm ci` when node_modules is missing, then `node --test unified.mjs auth0.mjs` with
# SWITCHBOARD_URL and SWITCHBOARD_TOKEN set. The server is stopped by its PID on exit; the exit
# status is the tests'. Every step is bounded in time. Not run by CI (it needs npm).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-sdktest.XXXXXX")"
server_pid=""

cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server log, with every API key blanked out.
server_log() { sed -E 's/sbk_[A-Za-z0-9_.-]+/sbk_<redacted>/g' "$tmp/serve.err" >&2 || true; }

for tool in go node npm; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

echo "== building switchboard" >&2
(cd "$root" && timeout 600 go build -o "$tmp/switchboard" ./cmd/switchboard)

echo "== starting switchboard serve (temporary data dir, free loopback port)" >&2
"$tmp/switchboard" serve --addr 127.0.0.1:0 --data-dir "$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!

url=""
for _ in $(seq 1 300); do # up to 30 s
	url="$(sed -nE 's/.*msg=listening .*url=(http:\/\/[^ ]+).*/\1/p' "$tmp/serve.err" | head -n 1)"
	[[ -n "$url" ]] && break
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "run.sh: switchboard serve exited early:" >&2
		server_log
		exit 1
	fi
	sleep 0.1
done
if [[ -z "$url" ]]; then
	echo "run.sh: switchboard serve did not start listening within 30s:" >&2
	server_log
	exit 1
fi

# The banner: "Owner API key (...) — shown only now, store it safely:" then the key, indented.
key="$(awk '/^Owner API key/ { getline; print $1; exit }' "$tmp/serve.err")"
if [[ "$key" != sbk_* ]]; then
	echo "run.sh: no owner key in the first-start banner" >&2
	server_log
	exit 1
fi
echo "== switchboard listening at $url" >&2

cd "$here"
if [[ ! -d node_modules ]]; then
	echo "== npm ci" >&2
	timeout 600 npm ci --no-audit --no-fund >&2
fi

echo "== node --test unified.mjs auth0.mjs" >&2
status=0
SWITCHBOARD_URL="$url" SWITCHBOARD_TOKEN="$key" timeout 300 node --test unified.mjs auth0.mjs || status=$?
if [[ $status -ne 0 ]]; then
	echo "== switchboard log (keys redacted)" >&2
	server_log
fi
exit "$status"
