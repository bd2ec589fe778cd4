#!/usr/bin/env bash
# Installs Debian's chromium for the browser end-to-end tests (local/e2e), only when it is missing.
# Playwright drives this binary; it never downloads a browser of its own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "install-chromium: /usr/bin/chromium is missing and we are not root (no sudo either)." >&2
  echo "install-chromium: run 'apt-get install -y chromium' as root, then retry." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
