#!/usr/bin/env bash
# Fuzz throughput against the embedded mock pair, printed beside a raw HTTP load tool (wrk)
# sending fixed requests to the same endpoint (AS-A's token endpoint) in the same run.
#
#   benches/fuzz_throughput.sh            # defaults below; override with env vars
#   CASES=20000 SEED=1 CONCURRENCY=8 DURATION=10s benches/fuzz_throughput.sh
#
# wrk sends two fixed requests, one after the other:
#  - valid: an RFC 8693 token exchange (subject token obtained once with the password grant
#    and reused: AS-A accepts it until it expires), i.e. the fuzzer's own baseline request;
#  - error: the same exchange without subject_token (400 invalid_request), cheap for the
#    server, so its rate bounds what any client gets from this mock on this machine.
# Both tools use the same number of connections. The fuzzer runs its own in-process mock.
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-20000}
SEED=${SEED:-1}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)..." >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi

PROFILE=${PROFILE:-release}   # PROFILE=dev for a quick check of the script itself
cargo build --profile "$PROFILE" --example fuzz >&2
if [ "$PROFILE" = dev ]; then BIN=target/debug/examples/fuzz; else BIN=target/$PROFILE/examples/fuzz; fi
TMP=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$TMP"' EXIT

# 1. Raw tool against a stand-alone mock pair.
mkfifo "$TMP/in"
"$BIN" serve-mock <"$TMP/in" >"$TMP/mock.out" &
MOCK_PID=$!
exec 3>"$TMP/in"
for _ in $(seq 100); do grep -q '^BODY ' "$TMP/mock.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^URL //p' "$TMP/mock.out")
AUTH=$(sed -n 's/^AUTHORIZATION //p' "$TMP/mock.out")
BODY=$(sed -n 's/^BODY //p' "$TMP/mock.out")
ERROR_BODY=$(sed 's/&subject_token=[^&]*//' <<<"$BODY")
lua() {
    printf 'wrk.method = "POST"\nwrk.body = "%s"\n' "$1"
    printf 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    printf 'wrk.headers["Authorization"] = "%s"\n' "$AUTH"
}
lua "$BODY" >"$TMP/valid.lua"
lua "$ERROR_BODY" >"$TMP/error.lua"
status() {
    curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: $AUTH" \
        -H 'Content-Type: application/x-www-form-urlencoded' --data "$1" "$URL" || echo "?"
}
STATUS=$(status "$BODY")
ERR_STATUS=$(status "$ERROR_BODY")
WRK_CMD="wrk -t$WRK_THREADS -c$CONCURRENCY -d$DURATION -s valid.lua $URL"
wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"$DURATION" -s "$TMP/valid.lua" "$URL" >"$TMP/wrk.out"
wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"$DURATION" -s "$TMP/error.lua" "$URL" >"$TMP/wrk-error.out"
exec 3>&-
wait "$MOCK_PID" 2>/dev/null || true
WRK_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.out")
WRK_NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$TMP/wrk.out")
WRK_ERR_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk-error.out")

# 2. The fuzzer: same seed, both endpoints, in-process mock pair.
FUZZ_CMD="$BIN --cases $CASES --seed $SEED --concurrency $CONCURRENCY --out $TMP/fuzz"
START=$(date +%s.%N)
set +e
$FUZZ_CMD >"$TMP/fuzz.out" 2>"$TMP/fuzz.err"
FUZZ_EXIT=$?
set -e
END=$(date +%s.%N)
FUZZ_LINE=$(grep '^fuzz: ' "$TMP/fuzz.out" || true)
FUZZ_RPS=$(sed -n 's/.*(\([0-9.]*\) requests\/s).*/\1/p' <<<"$FUZZ_LINE")
WALL=$(echo "$END - $START" | bc)

echo "== chainproof fuzz throughput ($PROFILE build, $(nproc) cores) =="
echo "raw tool : wrk, fixed valid token exchange at AS-A (HTTP $STATUS; non-2xx during run: ${WRK_NON2XX:-0})"
echo "           ${WRK_RPS} requests/s   [$WRK_CMD]"
echo "raw tool : wrk, fixed error request at AS-A (exchange without subject_token, HTTP $ERR_STATUS)"
echo "           ${WRK_ERR_RPS} requests/s   [${WRK_CMD/valid.lua/error.lua}]"
echo "fuzzer   : $FUZZ_LINE"
echo "           ${FUZZ_RPS} requests/s, wall time ${WALL} s including start-up, exit $FUZZ_EXIT   [$FUZZ_CMD]"
echo "ratio    : $(echo "scale=2; $FUZZ_RPS / $WRK_RPS" | bc) fuzzer / wrk valid exchange (target >= 0.5)"
echo "           $(echo "scale=2; $FUZZ_RPS / $WRK_ERR_RPS" | bc) fuzzer / wrk fixed error request"
echo "reproduce: CASES=$CASES SEED=$SEED CONCURRENCY=$CONCURRENCY DURATION=$DURATION benches/fuzz_throughput.sh"
