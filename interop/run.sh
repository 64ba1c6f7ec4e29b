#!/usr/bin/env bash
# Runs chainproof against the lab pair: restarts it (both servers keep their state in memory,
# and idpyoidc answers a second client-credentials request of a client with an internal error,
# so every run starts from the same state), then runs `chainproof run --target
# interop/target.toml`, which gets its subject tokens from token.sh. Extra arguments go to
# chainproof (default: --out interop/.lab/reports). Needs install.sh first.
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"
"$LAB_ROOT/stop.sh"
"$LAB_ROOT/start.sh" >/dev/null
cd "$LAB_ROOT/.."
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--out "$LAB_DIR/reports")
# CHAINPROOF names a built binary; the default builds and runs this checkout's.
if [ -n "${CHAINPROOF:-}" ]; then cmd=("$CHAINPROOF"); else cmd=(cargo run -q --); fi
exec "${cmd[@]}" run --target interop/target.toml "${args[@]}"
