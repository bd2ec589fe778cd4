#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each (default 60) and prints the
# executions and crashes per target; appends them to fuzz/target/fuzz-runs.log.
#   FUZZ_SECONDS=600 FUZZ_TARGETS="id_token bearer" bash scripts/fuzz.sh
# cargo-fuzz needs nightly-only rustc flags: we use the stable toolchain with RUSTC_BOOTSTRAP=1
# (works with Rust 1.95); FUZZ_TOOLCHAIN=nightly uses a nightly one instead. Sanitizer: none by default
# (the gate is safe Rust: we hunt panics and wrong answers, and ASan costs ~3x the executions);
# FUZZ_SANITIZER=address to turn it on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
jobs=${FUZZ_JOBS:-1}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (once, ~30 s)..." >&2
  cargo install --locked --quiet cargo-fuzz --version 0.13.2
fi
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
  toolchain=("+$FUZZ_TOOLCHAIN")
else
  export RUSTC_BOOTSTRAP=1
fi
cd "$root/fuzz"
targets=${FUZZ_TARGETS:-$(cargo "${toolchain[@]}" fuzz list)}
cargo "${toolchain[@]}" fuzz build -O -s "$sanitizer" >&2
mkdir -p target/generated artifacts
log=target/fuzz-runs.log
status=0
for target in $targets; do
  # New inputs go to target/generated/<target> (not committed); corpus/<target> holds the seeds.
  mkdir -p "target/generated/$target" "artifacts/$target"
  out=$(mktemp)
  set +e
  cargo "${toolchain[@]}" fuzz run -O -s "$sanitizer" "$target" \
    "target/generated/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -jobs="$jobs" -workers="$jobs" -print_final_stats=1 \
    -max_len=65536 -timeout=10 -rss_limit_mb=2048 >"$out" 2>&1
  rc=$?
  set -e
  runs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$out" | awk '{s+=$2} END {print s+0}')
  crashes=$(find "artifacts/$target" -type f | wc -l)
  line="$(date -u +%FT%TZ) target=$target seconds=$seconds sanitizer=$sanitizer executions=$runs crash_artifacts=$crashes exit=$rc"
  echo "$line" | tee -a "$log"
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$out" | head -20 >&2 || true
  fi
  rm -f "$out"
done
echo "fuzz: totals per target across all runs so far:" >&2
awk '{for (i=1;i<=NF;i++) {split($i,kv,"="); if (kv[1]=="target") t=kv[2]; if (kv[1]=="executions") e[t]+=kv[2]}} END {for (t in e) printf "  %-20s %d executions\n", t, e[t]}' "$log" >&2
exit "$status"
