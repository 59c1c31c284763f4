#!/usr/bin/env bash
# Builds phoenix-notes as a static glibc binary and copies it to bin/phoenix-notes
# (the Docker build context's input). Does not run docker.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
target=x86_64-unknown-linux-gnu

cd "$root"
# JSON messages go to stdout (captured); cargo's human output and diagnostics stay on stderr.
messages=$(RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked \
  -p phoenix-notes --target "$target" --message-format=json-render-diagnostics)

# The compiler-artifact message of the phoenix-notes binary names the executable,
# wherever CARGO_TARGET_DIR / build.target-dir put it.
exe=$(printf '%s\n' "$messages" |
  grep '"reason":"compiler-artifact"' |
  grep '"kind":\["bin"\]' |
  grep '"name":"phoenix-notes"' |
  grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4) || true
if [[ -z $exe || ! -x $exe ]]; then
  echo "build.sh: could not find the phoenix-notes executable in cargo's output" >&2
  exit 1
fi

mkdir -p "$here/bin"
install -m 0755 "$exe" "$here/bin/phoenix-notes.tmp"
mv "$here/bin/phoenix-notes.tmp" "$here/bin/phoenix-notes"
echo "$here/bin/phoenix-notes"
