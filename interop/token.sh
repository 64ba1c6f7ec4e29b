#!/usr/bin/env bash
# chainproof's `command` subject-token source for the lab (target.toml): prints AS-A's token
# response (access_token, expires_in) for USER, issued to CLIENT_ID (default chain-client)
# whose secret is in the variable SECRET_ENV. Runs in interop/ (the target file's folder).
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"
exec "$PY" "$LAB_ROOT/subject_token.py" --json "$@"
