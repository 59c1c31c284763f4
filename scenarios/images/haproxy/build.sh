#!/usr/bin/env bash
# Recipe: HAProxy from Debian bookworm. The config is expected at
# /usr/local/etc/haproxy/haproxy.cfg (mount one); a placeholder that just
# answers 503 on :8080 is baked in so the image starts on its own.
# HAProxy ignores SIGTERM when it is PID 1, so the image stops with SIGUSR1 (soft stop).
#   build.sh [image:tag]   (default phoenix/haproxy:bookworm)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PHOENIX_RECIPE=haproxy PHOENIX_STOPSIGNAL=SIGUSR1 exec "$here/../debootstrap-image.sh" "${1:-phoenix/haproxy:bookworm}" haproxy \
  '["haproxy","-f","/usr/local/etc/haproxy/haproxy.cfg"]' "$here/rootfs"
