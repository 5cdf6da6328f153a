#!/usr/bin/env bash
# Run every fuzz target one after another, each for at most SECONDS (default 60) or RUNS executions
# (default 1000000), whichever ends first, one job each. Prints the executions done per target and
# exits non-zero when any target crashes (its input lands in fuzz/artifacts/TARGET/).
# Needs cargo-fuzz (cargo install --locked cargo-fuzz); RUSTC_BOOTSTRAP=1 lets it use stable Rust.
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
runs="${RUNS:-1000000}"
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list) || exit 1
cargo fuzz build --sanitizer none -O || exit 1
failed=0
for t in $targets; do
  mkdir -p "artifacts/$t"
  log="target/fuzz-$t.log"
  # The committed corpus is one archive a target (thousands of small files would slow every `git
  # status` in the repository, and ds01-build's own dirty check); new inputs go to the scratch copy.
  work="target/corpus-$t"
  rm -rf "$work" && mkdir -p "$work"
  if [ -f "corpus/$t.tar.gz" ]; then tar -xzf "corpus/$t.tar.gz" -C "$work" || exit 1; fi
  cargo fuzz run --sanitizer none -O "$t" "$work" -- -jobs=1 -workers=1 \
    -max_total_time="$seconds" -runs="$runs" -max_len=4096 -print_final_stats=1 >"$log" 2>&1
  code=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ "$code" -eq 0 ]; then
    echo "$t: ${execs:-?} executions, no crash"
  else
    echo "$t: CRASH (exit $code) after ${execs:-?} executions; see fuzz/$log and fuzz/artifacts/$t/"
    failed=1
  fi
done
exit "$failed"
