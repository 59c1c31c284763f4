#!/usr/bin/env bash
# build-static.sh <package> <dest-dir>: builds a workspace binary as a static glibc
# executable (for a FROM scratch image) and copies it to <dest-dir>/bin/<package>.
# Does not run docker: the harness builds the image from <dest-dir> as the context.
set -euo pipefail

pkg=${1:?usage: build-static.sh <package> <dest-dir>}
dest=$(cd "${2:?usage: build-static.sh <package> <dest-dir>}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
target=x86_64-unknown-linux-gnu

cd "$root"
# JSON messages go to stdout (captured); cargo's human output and diagnostics stay on stderr.
messages=$(RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked \
  -p "$pkg" --target "$target" --message-format=json-render-diagnostics)

# The compiler-artifact message of the binary names the executable, wherever
# CARGO_TARGET_DIR / build.target-dir put it.
exe=$(printf '%s\n' "$messages" |
  grep '"reason":"compiler-artifact"' |
  grep '"kind":\["bin"\]' |
  grep "\"name\":\"$pkg\"" |
  grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4) || true
if [[ -z $exe || ! -x $exe ]]; then
  echo "build-static.sh: could not find the $pkg executable in cargo's output" >&2
  exit 1
fi

mkdir -p "$dest/bin"
install -m 0755 "$exe" "$dest/bin/$pkg.tmp"
mv "$dest/bin/$pkg.tmp" "$dest/bin/$pkg"
echo "$dest/bin/$pkg"
