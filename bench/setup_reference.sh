#!/usr/bin/env bash
# Creates .cache/bench-py-venv (once) with the Python reference's pinned packages, and refreshes it
# when bench/reference/requirements.txt changes. Kept apart from the project venv (.venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.cache/bench-py-venv"
requirements="$root/bench/reference/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$requirements"
  echo "$want" > "$stamp"
fi
