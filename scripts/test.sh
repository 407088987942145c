#!/usr/bin/env bash
# Runs every test of the project: lints, the Rust suites on the run-time-detected and the forced
# portable backends, the C and Python suites, and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests (run-time detected backends)"
cargo test --workspace --release --no-fail-fast

echo "== tests (forced portable backend)"
RUSTFLAGS='--cfg prose_backend="soft"' CARGO_TARGET_DIR=target/soft \
  cargo test -p prose-sec --release --lib --tests

echo "== benchmarks compile"
cargo bench --no-run -p prose-sec >/dev/null

echo "== C tests (libprose_sec from C: strict warnings, ASan+UBSan, valgrind)"
bash ffi/tests/c/run.sh

echo "== python (maturin develop into .venv, pytest)"
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  maturin develop --release --quiet -m python/Cargo.toml
.venv/bin/python -m pytest -q python/tests

echo "== fuzzing (every target, time-boxed, coverage-guided)"
bash scripts/fuzz.sh "${PROSE_FUZZ_SECS:-15}"
