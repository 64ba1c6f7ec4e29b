#!/usr/bin/env bash
# Starts AS-A (idpyoidc, port $AS_A_PORT), AS-B (Authlib, port $AS_B_PORT) and RS-B (Authlib,
# port $RS_B_PORT) on 127.0.0.1.
# Idempotent: a server already answering is left alone. Logs and pid files in interop/.lab.
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"
[ -x "$PY" ] || { echo "interop lab not installed: run interop/install.sh" >&2; exit 1; }
up() { "$PY" - "$1" <<'PYEOF'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass  # answering at all is up (RS-B answers 401)
except Exception:
    sys.exit(1)
PYEOF
}
start() { # name script issuer
  if up "$3"; then echo "$1 already running at $3"; return; fi
  nohup "$PY" "$LAB_ROOT/$2" >"$LAB_DIR/$1.log" 2>&1 &
  echo $! >"$LAB_DIR/$1.pid"
  for _ in $(seq 100); do up "$3" && { echo "$1 up at $3"; return; }; sleep 0.2; done
  echo "$1 did not start; see $LAB_DIR/$1.log" >&2; tail -20 "$LAB_DIR/$1.log" >&2; exit 1
}
start as-a as_a.py "$AS_A_ISSUER"
start as-b as_b.py "$AS_B_ISSUER"
start rs-b rs_b.py "$RS_B_RESOURCE"
