#!/bin/sh
# Installs the Docker-native headroom wrapper as `headroom` for hosts that have Docker and
# nothing else.
#   sh docker/install-wrapper.sh [--force]
# HEADROOM_INSTALL_DIR chooses the folder (default ~/.local/bin). An existing `headroom`
# that is not this wrapper (the native executable) is kept unless --force is given.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src="$here/headroom-docker"
dir="${HEADROOM_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}"
dest="$dir/headroom"
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
    *) printf 'install-wrapper: unknown option "%s" (only --force).\n' "$arg" >&2; exit 2 ;;
  esac
done

[ -f "$src" ] || { printf 'install-wrapper: %s is missing; run this script from a headroom checkout.\n' "$src" >&2; exit 1; }
if [ -e "$dest" ] && [ "$force" = 0 ] && ! grep -q 'headroom for hosts that have Docker and nothing else' "$dest" 2>/dev/null; then
  printf 'install-wrapper: %s already exists and is not the Docker wrapper (the native headroom?); keep it, or run again with --force to replace it.\n' "$dest" >&2
  exit 1
fi
mkdir -p "$dir"
tmp="$dir/.headroom.$$"
cp "$src" "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$dest"
printf 'installed %s\n' "$dest"

command -v docker >/dev/null 2>&1 || printf 'note: docker is not on PATH; the wrapper needs Docker (https://docs.docker.com/engine/install/).\n'
case ":${PATH:-}:" in
  *":$dir:"*) ;;
  *) printf 'note: %s is not on your PATH; add it, e.g. echo '\''export PATH="%s:$PATH"'\'' >> ~/.profile\n' "$dir" "$dir" ;;
esac
printf 'next: build or load the image (npm run docker:build gives headroom:local, or set HEADROOM_IMAGE), then `headroom proxy`.\n'
