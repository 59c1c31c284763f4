#!/usr/bin/env bash
# Builds phoenix-proxy as a static binary into bin/ (the Docker build context's input).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/../build-static.sh" phoenix-proxy "$here"
