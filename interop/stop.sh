#!/usr/bin/env bash
# Stops the lab servers this checkout started (by the pid files start.sh wrote).
source "$(dirname "$0")/lab-env.sh"
for name in as-a as-b rs-b; do
  f="$LAB_DIR/$name.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$f"
done
exit 0
