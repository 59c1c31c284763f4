#!/usr/bin/env bash
# Builds phoenix-notes as a static binary into bin/ (the Docker build context's input).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/../../../scenarios/apps/build-static.sh" phoenix-notes "$here"
