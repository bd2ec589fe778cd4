#!/usr/bin/env bash
# Checks the dependency tree with cargo-deny (deny.toml): licenses, bans (incl. duplicate
# versions), sources. Installs cargo-deny once (~2.5 min build, then cached in ~/.cargo/bin).
# `advisories` is left out: the RustSec database is not reachable from our build hosts; run
# `cargo deny check advisories` where it is (see SECURITY.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=0.20.2
if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "cargo-deny: installing $version (once)..." >&2
  cargo install --locked --quiet cargo-deny --version "$version"
fi
cd "$root"
if [ "$#" -eq 0 ]; then
  set -- licenses bans sources
fi
exec cargo deny --log-level warn check --hide-inclusion-graph "$@"
