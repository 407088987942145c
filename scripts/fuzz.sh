#!/usr/bin/env bash
# Runs the fuzz targets with libFuzzer for a fixed time each, with coverage instrumentation
# (SanitizerCoverage, as cargo-fuzz sets it up, without a sanitizer runtime so that a stable
# toolchain builds it) and debug assertions on.
#
#   bash scripts/fuzz.sh SECONDS [TARGET ...]     # every target when none is named
#
# Each target starts from fuzz/corpus/TARGET when it exists (and grows it in a scratch copy
# under fuzz/target/corpus). A crash stops the run with a non-zero status and leaves the input
# in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:?usage: fuzz.sh SECONDS [TARGET ...]}"
shift || true
export RUSTFLAGS="--cfg fuzzing -Cdebug-assertions -Coverflow-checks -Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares"
export CARGO_TARGET_DIR=target/cov
# An explicit --target keeps the instrumentation out of build scripts and proc macros.
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --bins -q --target "$host"
bin="$CARGO_TARGET_DIR/$host/release"
if [ $# -eq 0 ]; then
  set -- $(sed -n 's/^path = "fuzz_targets\/\(.*\)\.rs"$/\1/p' Cargo.toml)
fi
for t in "$@"; do
  work="target/corpus/$t"
  mkdir -p "$work" "artifacts/$t"
  if [ -d "corpus/$t" ]; then cp -n corpus/"$t"/* "$work"/ 2>/dev/null || true; fi
  echo "-- fuzz $t (${secs}s)"
  "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" "$work" 2>&1 |
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==|SUMMARY|.*(panicked|deadly signal|Test unit written))' || true
  # libFuzzer's own status decides: a crash leaves an artifact.
  # (Any one kind of artifact fails the run; `ls` of the three globs together succeeded only
  # when all three kinds were present, so a lone crash passed unnoticed.)
  found="$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | head -n 1)"
  if [ -n "$found" ]; then
    echo "fuzz: $t found a failing input: $found" >&2
    exit 1
  fi
done
