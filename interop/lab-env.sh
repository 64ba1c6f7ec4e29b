# Sourced by the lab scripts: ports, issuers and the lab's (throwaway, loopback-only) secrets.
# Override any of them in the environment before calling a script.
LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LAB_DIR="${LAB_DIR:-$LAB_ROOT/.lab}"
export AS_A_PORT="${AS_A_PORT:-9611}" AS_B_PORT="${AS_B_PORT:-9612}"
export RS_B_PORT="${RS_B_PORT:-9615}"
export AS_A_ISSUER="http://127.0.0.1:$AS_A_PORT" AS_B_ISSUER="http://127.0.0.1:$AS_B_PORT"
export RS_B_RESOURCE="http://127.0.0.1:$RS_B_PORT/"
export AS_A_TOKEN_LIFETIME="${AS_A_TOKEN_LIFETIME:-60}"
export HARNESS_ISSUER="${HARNESS_ISSUER:-http://127.0.0.1:9613}"
export CHAINPROOF_AS_A_SECRET="${CHAINPROOF_AS_A_SECRET:-interop-chain-client-secret}"
export CHAINPROOF_AS_A_SECOND_SECRET="${CHAINPROOF_AS_A_SECOND_SECRET:-interop-other-client-secret}"
# AS-A's public `sub` for alice and bob (idpyoidc: sha256 of user id + salt "interop-lab") ->
# AS-B's users (bob is the second mapped user, role `second_user`). mallory (644faf55...) is
# deliberately absent: AS-B cannot map her.
export SUBJECT_MAP="${SUBJECT_MAP:-{\"c553d99772956bbdb5c4c37a7d422dd4ff5cb8d00c28e33036cf249440f45a6a\": \"alice@b.interop\", \"f2cf7d9164e5ee58ebcf3b024259c57ac7f720c72ec50bf160533907990ff2f6\": \"bob@b.interop\"\}}"
PY="$LAB_DIR/venv/bin/python"
