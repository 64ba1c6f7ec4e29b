#!/usr/bin/env bash
# Installs the interop lab's servers (idpyoidc as AS-A, Authlib as AS-B) from PyPI into a
# virtualenv under interop/.lab (git-ignored). Idempotent: does nothing when the pinned
# versions are already there.
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"
mkdir -p "$LAB_DIR"
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
[ -x "$PY" ] || python3 -m venv "$LAB_DIR/venv"
stamp="$LAB_DIR/installed.txt"
if ! cmp -s "$LAB_ROOT/requirements.txt" "$stamp"; then
  "$PY" -m pip install -q --disable-pip-version-check -r "$LAB_ROOT/requirements.txt"
  cp "$LAB_ROOT/requirements.txt" "$stamp"
fi
echo "interop lab installed in $LAB_DIR"
