#!/usr/bin/env bash
# Recipe: Redis server from Debian bookworm (no persistence, listens on all interfaces).
#   build.sh [image:tag]   (default phoenix/redis:bookworm)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PHOENIX_RECIPE=redis exec "$here/../debootstrap-image.sh" "${1:-phoenix/redis:bookworm}" redis-server \
  '["redis-server","--protected-mode","no","--bind","0.0.0.0","--save","","--appendonly","no"]'
