#!/usr/bin/env bash
# Build a Docker image from a minimal Debian bookworm rootfs, without any registry.
#
#   debootstrap-image.sh <image:tag> <comma-separated packages> <CMD as JSON array> [overlay-dir]
#
# The Debian mirror is read from this machine's apt sources. The finished rootfs
# (before the optional overlay) is cached as a tarball per package set under
# ${XDG_CACHE_HOME:-$HOME/.cache}/phoenix-bench/ so rebuilding skips debootstrap.
# The overlay directory, if given, is copied over the rootfs before import.
# The image gets LABEL phoenix-bench.recipe=$PHOENIX_RECIPE (default: the image
# name without registry path and tag) and, if $PHOENIX_STOPSIGNAL is set, that
# STOPSIGNAL (for daemons that ignore SIGTERM as PID 1). A previous image of the
# same tag left untagged by the rebuild is removed.
set -euo pipefail

SUITE=bookworm

die() { echo "debootstrap-image: $*" >&2; exit 1; }

[[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 <image:tag> <comma-separated packages> <CMD as JSON array> [overlay-dir]"
image=$1
packages=$2
cmd_json=$3
overlay=${4:-}
[[ -n $image ]] || die "empty image tag"
[[ $packages =~ ^[a-z0-9][a-z0-9.+,-]*$ ]] || die "bad package list: '$packages'"
[[ $cmd_json == \[*\] ]] || die "CMD must be a JSON array, got: $cmd_json"
[[ -z $overlay || -d $overlay ]] || die "overlay is not a directory: $overlay"
[[ $EUID -eq 0 ]] || die "must run as root (debootstrap needs it)"
command -v docker >/dev/null || die "docker CLI not found"

recipe=${PHOENIX_RECIPE:-}
if [[ -z $recipe ]]; then
  recipe=${image%%:*}
  recipe=${recipe##*/}
fi

# --- find the main Debian archive among the apt sources -----------------------
find_mirror() {
  local f uri
  # deb822 files: stanzas with "URIs:"; keep the main archive (…/debian), not -security/-ports.
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    while read -r uri; do
      uri=${uri%/}
      if [[ $uri =~ ^(https?|file):// && $uri == */debian ]]; then
        echo "$uri"; return 0
      fi
    done < <(awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f")
  done
  # one-line format: deb [options] URI suite components…
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    while read -r uri; do
      uri=${uri%/}
      if [[ $uri =~ ^(https?|file):// && $uri == */debian ]]; then
        echo "$uri"; return 0
      fi
    done < <(awk '$1=="deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } print $i }' "$f")
  done
  shopt -u nullglob
  return 1
}
mirror=$(find_mirror) || die "no Debian archive mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"

# --- cache -------------------------------------------------------------------
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/phoenix-bench
sorted_pkgs=$(tr ',' '\n' <<<"$packages" | sort -u | paste -sd, -)
key=$(printf '%s\n%s\n%s\n' "$SUITE" "$sorted_pkgs" "$mirror" | sha256sum | cut -c1-16)
cache_tar=$cache_dir/rootfs-$SUITE-$key.tar

workdir=$(mktemp -d "${TMPDIR:-/tmp}/phoenix-rootfs.XXXXXX")
cleanup() {
  # debootstrap may leave proc/sys mounted if it died half-way
  local m
  for m in proc sys dev/pts; do
    if mountpoint -q "$workdir/rootfs/$m" 2>/dev/null; then
      umount -l "$workdir/rootfs/$m" || true
    fi
  done
  rm -rf --one-file-system "$workdir"
}
trap cleanup EXIT
rootfs=$workdir/rootfs
mkdir -p "$rootfs"

if [[ -s $cache_tar ]]; then
  echo "debootstrap-image: using cached rootfs $cache_tar" >&2
  tar -C "$rootfs" -xpf "$cache_tar"
else
  command -v debootstrap >/dev/null ||
    die "debootstrap is not installed; fix: run \`sudo .ci/setup\` from the repository (or apt-get install debootstrap)"
  echo "debootstrap-image: debootstrap $SUITE [$sorted_pkgs] from $mirror" >&2
  debootstrap --variant=minbase --include="$sorted_pkgs" "$SUITE" "$rootfs" "$mirror" \
    >"$workdir/debootstrap.log" 2>&1 || { tail -n 40 "$workdir/debootstrap.log" >&2; die "debootstrap failed"; }

  # keep the image small: no package caches, lists, docs, man pages, logs
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
         "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian \
         "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/* "$rootfs"/tmp/* \
         "$rootfs"/debootstrap
  mkdir -p "$rootfs/var/cache/apt/archives/partial" "$rootfs/var/lib/apt/lists/partial"
  # Docker manages these; do not bake the build host's values into the image
  : >"$rootfs/etc/hostname"
  rm -f "$rootfs/etc/resolv.conf"

  mkdir -p "$cache_dir"
  tar -C "$rootfs" --numeric-owner -cf "$cache_tar.tmp" . && mv "$cache_tar.tmp" "$cache_tar"
fi

if [[ -n $overlay ]]; then
  cp -a "$overlay"/. "$rootfs"/
fi

old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
changes=(-c "CMD $cmd_json" -c "LABEL phoenix-bench.recipe=$recipe")
if [[ -z ${PHOENIX_STOPSIGNAL:-} ]]; then
  tar -C "$rootfs" --numeric-owner -c . | docker import "${changes[@]}" - "$image" >/dev/null
else
  # `docker import -c` has no STOPSIGNAL: add it with a one-line build on top of the import
  [[ $PHOENIX_STOPSIGNAL =~ ^[A-Z0-9+]+$ ]] || die "bad PHOENIX_STOPSIGNAL: $PHOENIX_STOPSIGNAL"
  base_id=$(tar -C "$rootfs" --numeric-owner -c . | docker import "${changes[@]}" -)
  printf 'FROM %s\nSTOPSIGNAL %s\n' "$base_id" "$PHOENIX_STOPSIGNAL" |
    docker build -q -t "$image" - >/dev/null 2> >(grep -v -e DEPRECATED -e buildx -e 'docs.docker.com' -e '^ *$' >&2 || true)
fi
new_id=$(docker image inspect -f '{{.Id}}' "$image")
if [[ -n $old_id && $old_id != "$new_id" ]] &&
  [[ $(docker image inspect -f '{{len .RepoTags}}' "$old_id" 2>/dev/null) == 0 ]]; then
  docker rmi "$old_id" >/dev/null 2>&1 || true # still used by a container: leave it
fi
echo "$image"
