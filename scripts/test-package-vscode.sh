#!/usr/bin/env bash
# The README's VS Code packaging, `npm ci && npm run package` in
# clients/vscode, on what a fresh clone has: the tracked files of
# clients/vscode and clients/typescript copied to a temporary directory, no
# node_modules and no build output anywhere. Fails unless switchboard.vsix
# is made and holds the bundled extension.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files -z clients/vscode clients/typescript | xargs -0 cp --parents -t "$tmp"
# Working-tree files that git does not track yet (a new file not added) are
# not in a clone either; what is copied is exactly the tracked set.
cd "$tmp/clients/vscode"
if ! out=$( (npm ci --no-audit --no-fund --loglevel=error && npm run package) 2>&1); then
  printf '%s\n' "$out"
  echo "test-package-vscode: npm ci && npm run package failed on a fresh copy"
  exit 1
fi
[ -s switchboard.vsix ] || { printf '%s\n' "$out"; echo "test-package-vscode: no switchboard.vsix"; exit 1; }
node -e '
  const b = require("fs").readFileSync("switchboard.vsix");
  if (b.readUInt32LE(0) !== 0x04034b50) { console.error("switchboard.vsix is not a zip"); process.exit(1); }
  if (!b.includes("extension/dist/extension.js")) { console.error("switchboard.vsix lacks extension/dist/extension.js"); process.exit(1); }
'
echo "test-package-vscode: npm ci && npm run package made switchboard.vsix ($(wc -c < switchboard.vsix) bytes) on a fresh copy"
