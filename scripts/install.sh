#!/bin/sh
# Installs headroom on Linux or macOS:
#   curl -fsSL https://github.com/headroom-sh/headroom/releases/latest/download/install.sh | sh
#
# Picks the binary for this OS and CPU, verifies it against the release's SHA256SUMS and
# puts it in ~/.local/bin (or $HEADROOM_INSTALL_DIR). Re-running it upgrades in place.
#
# Settings (environment variables):
#   HEADROOM_VERSION       install this version instead of the latest (e.g. 0.1.0)
#   HEADROOM_INSTALL_DIR   install here instead of ~/.local/bin
#   HEADROOM_DOWNLOAD_URL  download base holding latest and <version>/ folders
#                          (default https://github.com/headroom-sh/headroom/releases/download)
#   HEADROOM_NO_RESTART    set to 1 to leave running deployments on the old version
#                          (by default each one that runs another version is restarted)
# For testing only: HEADROOM_INSTALL_OS and HEADROOM_INSTALL_ARCH stand in for
# `uname -s` and `uname -m`.
#
# Upgrading under running deployments (`headroom install apply`): the new file is renamed
# over the old one, so a running proxy keeps its old program; then the new binary
# restarts, through its supervisor, every deployment whose runtime runs another version
# (`headroom install upgrade-restart`) and checks that each comes back healthy.
#
# Everything runs from main() at the very end, so a download cut short runs nothing.

set -eu

HEADROOM_DEFAULT_BASE="https://github.com/headroom-sh/headroom/releases/download"
HEADROOM_DEFAULT_LATEST="https://github.com/headroom-sh/headroom/releases/latest/download/latest"

say() {
  printf 'headroom-install: %s\n' "$*"
}

fail() {
  printf 'headroom-install: error: %s\n' "$*" >&2
  exit 1
}

# Prints linux or darwin for the `uname -s` value given.
detect_os() {
  case "$1" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      fail "this installer is for Linux and macOS; on Windows run in PowerShell: irm https://github.com/headroom-sh/headroom/releases/latest/download/install.ps1 | iex" ;;
    *) fail "unsupported operating system \"$1\"; headroom ships binaries for Linux, macOS and Windows." ;;
  esac
}

# Prints x64 or arm64 for the `uname -m` value given.
detect_arch() {
  case "$1" in
    x86_64 | amd64 | x64) echo x64 ;;
    aarch64 | arm64 | armv8*) echo arm64 ;;
    *) fail "unsupported CPU architecture \"$1\"; headroom ships binaries for x86_64 (x64) and arm64 only." ;;
  esac
}

# A shell running under Rosetta on Apple Silicon reports x86_64; the native binary is better.
is_rosetta() {
  [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = "1" ]
}

# download URL FILE
download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1" || fail "could not download $1; check the network, HEADROOM_DOWNLOAD_URL and HEADROOM_VERSION."
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || fail "could not download $1; check the network, HEADROOM_DOWNLOAD_URL and HEADROOM_VERSION."
  else
    fail "neither curl nor wget is installed; install one of them and run this again."
  fi
}

# Prints the SHA-256 of FILE in lower case.
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{print $1}'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{print $1}'
  else
    fail "neither sha256sum nor shasum is installed, so the download cannot be verified; install coreutils (or perl's shasum) and run this again."
  fi
}

# Prints the directory as an absolute path ("~/" expanded).
absolute_dir() {
  # shellcheck disable=SC2088 # a literal "~" that the caller's shell did not expand
  case "$1" in
    "~") echo "$HOME" ;;
    "~/"*) echo "$HOME/${1#"~/"}" ;;
    /*) echo "$1" ;;
    *) echo "$(pwd)/$1" ;;
  esac
}

print_path_hint() {
  dir=$1
  case ":${PATH:-}:" in
    *":$dir:"* | *":$dir/:"*) return 0 ;;
  esac
  say "$dir is not on your PATH. To use headroom from a new terminal, run:"
  case "$(basename "${SHELL:-sh}")" in
    zsh) say "  echo 'export PATH=\"$dir:\$PATH\"' >> ~/.zshrc" ;;
    bash)
      if [ "$(uname -s 2>/dev/null || true)" = Darwin ]; then
        say "  echo 'export PATH=\"$dir:\$PATH\"' >> ~/.bash_profile"
      else
        say "  echo 'export PATH=\"$dir:\$PATH\"' >> ~/.bashrc"
      fi ;;
    fish) say "  fish_add_path $dir" ;;
    *) say "  echo 'export PATH=\"$dir:\$PATH\"' >> ~/.profile" ;;
  esac
  say "and for this terminal: export PATH=\"$dir:\$PATH\""
}

# restart_deployments BINARY VERSION: switches the deployments that run another version
# to this one (through their supervisors), or says how to.
restart_deployments() {
  hint="if headroom runs as a service (headroom install), run 'headroom install restart' to switch it to $2."
  if [ "${HEADROOM_NO_RESTART:-}" = 1 ]; then
    say "HEADROOM_NO_RESTART=1: running deployments keep their version; $hint"
    return 0
  fi
  if [ -n "${HEADROOM_INSTALL_OS:-}${HEADROOM_INSTALL_ARCH:-}" ]; then
    say "$hint"
    return 0
  fi
  # Only a release that knows the command (its help names it) is asked to run it.
  case "$("$1" install upgrade-restart --help </dev/null 2>/dev/null || true)" in
    *upgrade-restart*) ;;
    *) say "$hint"; return 0 ;;
  esac
  if out=$("$1" install upgrade-restart </dev/null 2>&1); then
    printf '%s\n' "$out" | while IFS= read -r line; do [ -z "$line" ] || say "$line"; done
  else
    printf '%s\n' "$out" | while IFS= read -r line; do [ -z "$line" ] || say "$line"; done
    say "warning: not every deployment could be switched to $2; see 'headroom install status --all'."
  fi
}

main() {
  uname_s=${HEADROOM_INSTALL_OS:-$(uname -s)}
  uname_m=${HEADROOM_INSTALL_ARCH:-$(uname -m)}
  os=$(detect_os "$uname_s")
  arch=$(detect_arch "$uname_m")
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && is_rosetta; then
    arch=arm64
  fi
  target="$os-$arch"

  base=${HEADROOM_DOWNLOAD_URL:-$HEADROOM_DEFAULT_BASE}
  base=${base%/}
  if [ -n "${HEADROOM_DOWNLOAD_URL:-}" ]; then latest_url="$base/latest"; else latest_url=$HEADROOM_DEFAULT_LATEST; fi

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t headroom-install)
  if [ -z "$tmp" ] || [ ! -d "$tmp" ]; then
    fail "could not create a temporary folder; check that /tmp (or \$TMPDIR) is writable."
  fi
  trap 'rm -rf "$tmp"' EXIT
  trap 'rm -rf "$tmp"; exit 1' INT TERM HUP

  if [ -n "${HEADROOM_VERSION:-}" ]; then
    version=${HEADROOM_VERSION#v}
  else
    download "$latest_url" "$tmp/latest"
    version=$(tr -d ' \t\r\n' <"$tmp/latest")
  fi
  case "$version" in
    "" | *..* | */* | *[!0-9A-Za-z.+_-]*) fail "\"$version\" is not a headroom version; set HEADROOM_VERSION to one like 0.1.0." ;;
  esac

  archive="headroom-$version-$target.tar.gz"
  say "installing headroom $version for $target"
  download "$base/$version/$archive" "$tmp/$archive"
  download "$base/$version/SHA256SUMS" "$tmp/SHA256SUMS"

  expected=$(awk -v f="$archive" '$2 == f || $2 == ("*" f) { print tolower($1); exit }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || fail "SHA256SUMS of headroom $version has no entry for $archive; nothing was installed."
  actual=$(sha256_of "$tmp/$archive")
  [ "$expected" = "$actual" ] || fail "checksum mismatch for $archive (expected $expected, got $actual); the download is corrupt or was tampered with, so nothing was installed."

  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$archive" -C "$tmp/unpacked" || fail "could not unpack $archive; nothing was installed."
  [ -f "$tmp/unpacked/headroom" ] || fail "$archive does not contain a headroom binary; nothing was installed."

  dir=$(absolute_dir "${HEADROOM_INSTALL_DIR:-$HOME/.local/bin}")
  mkdir -p "$dir" || fail "cannot create $dir; set HEADROOM_INSTALL_DIR to a folder you can write to."
  dest="$dir/headroom"
  [ ! -d "$dest" ] || fail "$dest is a folder; move it away or set HEADROOM_INSTALL_DIR to another folder."
  previous=""
  if [ -x "$dest" ]; then
    previous=$("$dest" --version </dev/null 2>/dev/null || true)
  fi

  # Copy next to the destination, then rename over it: the swap is atomic, and a running
  # headroom keeps its old file until it restarts.
  staged="$dir/.headroom.install-$$"
  cp "$tmp/unpacked/headroom" "$staged" || { rm -f "$staged"; fail "cannot write to $dir; set HEADROOM_INSTALL_DIR to a folder you can write to."; }
  chmod 755 "$staged"
  if [ -z "${HEADROOM_INSTALL_OS:-}${HEADROOM_INSTALL_ARCH:-}" ]; then
    if ! "$staged" --version </dev/null >/dev/null 2>&1; then
      rm -f "$staged"
      fail "the downloaded headroom $version does not run on this machine ($uname_s $uname_m); nothing was installed."
    fi
  fi
  mv -f "$staged" "$dest" || { rm -f "$staged"; fail "cannot replace $dest; check its permissions."; }

  if [ -n "$previous" ] && [ "$previous" != "$version" ]; then
    say "upgraded headroom $previous -> $version at $dest"
  elif [ -n "$previous" ]; then
    say "reinstalled headroom $version at $dest"
  else
    say "installed headroom $version at $dest"
  fi
  if [ -n "$previous" ]; then
    restart_deployments "$dest" "$version"
  fi
  print_path_hint "$dir"
  found=$(command -v headroom 2>/dev/null || true)
  if [ -n "$found" ] && [ "$found" != "$dest" ]; then
    say "note: 'headroom' on your PATH is $found, which comes before $dest."
  fi
}

main "$@"
