#!/usr/bin/env bash
# Stops the lab servers this checkout started (by the pid files start.sh wrote).
source "$(dirname "$0")/lab-env.sh"
for name in as-a as-b; do
  f="$LAB_DIR/$name.pid"
  [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }
done
exit 0
