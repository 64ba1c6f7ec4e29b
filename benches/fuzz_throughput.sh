#!/usr/bin/env bash
# Fuzz throughput against a raw HTTP load tool doing the same work: wrk replays exactly the
# request sequence the fuzzer sent, against the same mock servers, in the same run.
#
#   benches/fuzz_throughput.sh            # defaults below; override with env vars
#   CASES=20000 SEED=1 CONCURRENCY=8 DURATION=10s ROUNDS=3 benches/fuzz_throughput.sh
#
# 1. `examples/fuzz.rs serve-mock` starts the conformant mock pair (trusting a harness issuer)
#    and writes a target file naming it as two live servers.
# 2. `chainproof fuzz --target T --record FILE` fuzzes them and records every request it sent
#    (setup, cases, shrinking), real values included; its requests/s is the engine's own
#    (generation, sending, judging, shrinking; start-up excluded).
# 3. The recorded sequence becomes two wrk Lua scripts, one per server (wrk talks to one
#    host:port), each cycling through that server's requests in recorded order; both wrk
#    processes run at once with the fuzzer's connection count split between them, and their
#    rates add up. The same requests, bodies and credentials go to the same servers; only the
#    answers to replayed one-time values (a grant's jti) can differ.
# 4. On a shared machine the load changes between the two halves, so they alternate ROUNDS
#    times (the fuzzer again with the same seed and cases, then wrk) and the median of the
#    rounds' ratios is the result.
# wrk comes from Debian (`apt-get install wrk`); without it (and without a way to install it)
# the raw half is skipped with a notice.
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-20000}
SEED=${SEED:-1}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)..." >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null 2>&1 || true
    else sudo -n apt-get install -y wrk >/dev/null 2>&1 || true; fi
fi

PROFILE=${PROFILE:-release}   # PROFILE=dev for a quick check of the script itself
cargo build --profile "$PROFILE" --example fuzz --bin chainproof >&2
DIR=target/$PROFILE; [ "$PROFILE" = dev ] && DIR=target/debug
TMP=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$TMP"' EXIT

mkfifo "$TMP/in"
"$DIR/examples/fuzz" serve-mock "$TMP" <"$TMP/in" >"$TMP/mock.out" &
MOCK_PID=$!
exec 3>"$TMP/in"
for _ in $(seq 100); do grep -q '^READY' "$TMP/mock.out" 2>/dev/null && break; sleep 0.1; done

FUZZ_CMD="chainproof fuzz --target target.toml --cases $CASES --seed $SEED --concurrency $CONCURRENCY --record requests.jsonl"
set +e
"$DIR/chainproof" fuzz --target "$TMP/target.toml" --cases "$CASES" --seed "$SEED" \
    --concurrency "$CONCURRENCY" --record "$TMP/requests.jsonl" --out "$TMP/fuzz" \
    >"$TMP/fuzz.out" 2>"$TMP/fuzz.err"
FUZZ_EXIT=$?
set -e
FUZZ_LINE=$(grep '^fuzz: ' "$TMP/fuzz.out" || true)
FUZZ_RPS=$(sed -n 's/.*(\([0-9.]*\) requests\/s).*/\1/p' <<<"$FUZZ_LINE")
RECORDED=$(wc -l <"$TMP/requests.jsonl" 2>/dev/null || echo 0)

echo "== chainproof fuzz throughput ($PROFILE build, $(nproc) cores) =="
echo "fuzzer   : $FUZZ_LINE (exit $FUZZ_EXIT)"
echo "           ${FUZZ_RPS:-?} requests/s   [$FUZZ_CMD]"
if [ -z "$FUZZ_RPS" ]; then cat "$TMP/fuzz.err" >&2; exit 1; fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "raw tool : skipped: wrk is not installed (apt-get install wrk); no ratio"
    exit 0
fi

# The recorded sequence as one wrk script per server (origin), requests in recorded order.
python3 - "$TMP/requests.jsonl" "$TMP" <<'PY'
import json, sys, urllib.parse
src, out = sys.argv[1], sys.argv[2]
def lua(s):
    if s is None:
        return "nil"
    b = s.encode()
    return '"' + "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\%03d" % c for c in b) + '"'
by_origin = {}
for line in open(src):
    r = json.loads(line)
    u = urllib.parse.urlsplit(r["url"])
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    by_origin.setdefault(f"{u.scheme}://{u.netloc}", []).append((r["method"], path, r["headers"], r["body"]))
with open(f"{out}/origins", "w") as o:
    for i, (origin, reqs) in enumerate(sorted(by_origin.items())):
        o.write(f"{origin} {i} {len(reqs)}\n")
        with open(f"{out}/replay{i}.lua", "w") as f:
            f.write("local data = {\n")
            for m, p, h, b in reqs:
                hs = ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in h)
                f.write(f"  {{{lua(m)}, {lua(p)}, {{{hs}}}, {lua(b)}}},\n")
            f.write("}\nlocal formatted = {}\nlocal i = 0\n")
            f.write("function init(args)\n  for k, r in ipairs(data) do formatted[k] = wrk.format(r[1], r[2], r[3], r[4]) end\nend\n")
            f.write("function request()\n  i = i % #formatted + 1\n  return formatted[i]\nend\n")
PY

N_ORIGINS=$(wc -l <"$TMP/origins")
PER=$(( CONCURRENCY / N_ORIGINS )); [ "$PER" -lt 1 ] && PER=1
# Both wrk processes at once (one per origin); prints their summed requests/s.
run_wrk() {
    local pids=() total=0
    while read -r origin i n; do
        wrk -t1 -c"$PER" -d"$DURATION" -s "$TMP/replay$i.lua" "$origin" >"$TMP/wrk$i.out" 2>&1 &
        pids+=($!)
    done <"$TMP/origins"
    wait "${pids[@]}"
    while read -r origin i n; do
        total=$(echo "$total + $(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk$i.out")" | bc)
    done <"$TMP/origins"
    echo "$total"
}
# The fuzzer again with the same seed and cases (the same sequence; not recorded).
run_fuzz() {
    "$DIR/chainproof" fuzz --target "$TMP/target.toml" --cases "$CASES" --seed "$SEED" \
        --concurrency "$CONCURRENCY" --out "$TMP/fuzz" >"$TMP/fuzz.out" 2>"$TMP/fuzz.err" || true
    sed -n 's/^fuzz: .*(\([0-9.]*\) requests\/s).*/\1/p' "$TMP/fuzz.out"
}

# Alternate the two halves ROUNDS times (the recording run is round 1's fuzzer half), so a
# change of load on a shared machine between the halves cannot decide the ratio; the median
# of the rounds' ratios is the result.
RATIOS=()
for round in $(seq "$ROUNDS"); do
    [ "$round" -gt 1 ] && FUZZ_RPS=$(run_fuzz)
    WRK_RPS=$(run_wrk)
    RATIO=$(echo "scale=3; ${FUZZ_RPS:-0} / $WRK_RPS" | bc)
    RATIOS+=("$RATIO")
    echo "round $round: fuzzer ${FUZZ_RPS:-?} requests/s, wrk -t1 -c$PER -d$DURATION per origin ($N_ORIGINS origins): $WRK_RPS requests/s, ratio $RATIO   (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
while read -r origin i n; do
    NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$TMP/wrk$i.out")
    echo "raw tool : $origin: $n recorded requests cycled (last round non-2xx: ${NON2XX:-0})"
done <"$TMP/origins"
exec 3>&-
wait "$MOCK_PID" 2>/dev/null || true

MEDIAN=$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "raw tool replays the fuzzer's $RECORDED recorded requests"
echo "ratio    : $MEDIAN median of $ROUNDS rounds (${RATIOS[*]}), fuzzer / raw tool on the same requests (goal >= 0.5)"
echo "reproduce: CASES=$CASES SEED=$SEED CONCURRENCY=$CONCURRENCY DURATION=$DURATION ROUNDS=$ROUNDS benches/fuzz_throughput.sh"
