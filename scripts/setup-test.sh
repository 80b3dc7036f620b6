#!/usr/bin/env bash
# Installs what the tests need on a fresh machine of this project's kind
# (Debian with Go at /usr/local/go, node and npm): the Go modules, the
# stripe-mock binary the Stripe connector's tests run, and every npm package
# of the repository that has a package.json. Idempotent: a second run only
# checks. Fetches only through the Go module proxy and npm.
#
#   scripts/setup-test.sh             install
#   scripts/setup-test.sh --npm-dirs  print the npm package directories that
#                                     exist, in test order (the Makefile's list)
set -euo pipefail

cd "$(dirname "$0")/.."

# npm packages of the repository, in the order they are tested; a directory
# without a package.json (yet) is skipped.
NPM_DIRS=(
  test/vscode-jsonrpc
  clients/typescript
  clients/vscode
  clients/vscode/e2e
  clients/web/test
)

if [ "${1:-}" = "--npm-dirs" ]; then
  for d in "${NPM_DIRS[@]}"; do
    [ -f "$d/package.json" ] && echo "$d"
  done
  exit 0
fi

say() { printf 'setup-test: %s\n' "$*"; }
die() { printf 'setup-test: %s\n' "$*" >&2; exit 1; }

# Go: /usr/local/go/bin is where this kind of machine has it, but a
# non-login shell (CI) may not have it on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || die "go not found (expected Go 1.26 at /usr/local/go)"

say "go modules ($(go env GOVERSION))"
go mod download

if [ -x scripts/stripe-mock.sh ]; then
  scripts/stripe-mock.sh install
fi

need_npm=0
for d in "${NPM_DIRS[@]}"; do
  [ -f "$d/package.json" ] && need_npm=1
done
if [ "$need_npm" = 1 ]; then
  command -v node >/dev/null 2>&1 || die "node not found (the npm packages need node 20 or newer)"
  command -v npm >/dev/null 2>&1 || die "npm not found"
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || die "node $(node --version) is too old: need 20 or newer"
fi

for d in "${NPM_DIRS[@]}"; do
  [ -f "$d/package.json" ] || continue
  if [ ! -f "$d/package-lock.json" ]; then
    die "$d has a package.json but no package-lock.json: run npm install there and commit the lock file"
  fi
  # npm ci wipes and reinstalls node_modules; skip it when the installed tree
  # already matches the lock file (npm writes node_modules/.package-lock.json).
  if [ -f "$d/node_modules/.package-lock.json" ] &&
    [ "$d/node_modules/.package-lock.json" -nt "$d/package-lock.json" ] &&
    [ "$d/node_modules/.package-lock.json" -nt "$d/package.json" ]; then
    say "npm $d: up to date"
    continue
  fi
  say "npm ci in $d"
  (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
done
# The web console's browser test drives Debian's Chromium (never a
# browser build downloaded by a test tool).
if [ -f clients/web/test/setup.sh ]; then
  bash clients/web/test/setup.sh
fi
# The VS Code extension's real-editor test drives code-server (VS Code in a
# browser) with that same Chromium; it installs into a cache outside the
# clone, once per machine.
if [ -f clients/vscode/e2e/package.json ]; then
  scripts/code-server.sh install
fi
say "done"
