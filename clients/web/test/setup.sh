#!/usr/bin/env bash
# Installs what the browser test needs: Debian's Chromium. The npm packages
# come from package-lock.json (`npm ci` in this directory).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
	SUDO=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi
chromium --version
