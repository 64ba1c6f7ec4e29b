#!/usr/bin/env bash
# Runs chainproof against the lab pair: fresh subject tokens for alice and mallory from AS-A,
# then `chainproof run --target interop/target.toml`. Extra arguments go to chainproof
# (default: --out interop/.lab/reports). Start the pair first (start.sh).
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"
cd "$LAB_ROOT/.."
CHAINPROOF_ALICE_TOKEN="$("$PY" "$LAB_ROOT/subject_token.py" alice)"
CHAINPROOF_MALLORY_TOKEN="$("$PY" "$LAB_ROOT/subject_token.py" mallory)"
export CHAINPROOF_ALICE_TOKEN CHAINPROOF_MALLORY_TOKEN
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--out "$LAB_DIR/reports")
# CHAINPROOF names a built binary; the default builds and runs this checkout's.
if [ -n "${CHAINPROOF:-}" ]; then cmd=("$CHAINPROOF"); else cmd=(cargo run -q --); fi
exec "${cmd[@]}" run --target interop/target.toml "${args[@]}"
