#!/usr/bin/env bash
# The long forms of the trust tests (SECURITY.md): 500 crash cycles per driver, 60 s of
# rotation under load, 10^7 encryptions, bigger oversize floods. Takes about an hour.
set -euo pipefail
SWITCHBOARD_SOAK=1 exec "$(dirname "$0")/trust.sh"
