#!/usr/bin/env bash
# Creates ./.venv (once) and installs requirements-dev.txt into it when that file changes.
# Prints nothing on the fast path so callers can use it freely.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$root/requirements-dev.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/requirements-dev.txt"
  echo "$want" > "$stamp"
fi
