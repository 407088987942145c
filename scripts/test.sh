#!/usr/bin/env bash
# Runs every test of the project: lints, the Rust suites on the run-time-detected and the forced
# portable backends, the C and Python suites, the group call over loopback sockets, the KMS
# service on SQLite and PostgreSQL, the libsrtp2 drop-in against libsrtp's own programs and
# GStreamer, the core on aarch64 under qemu, Miri, and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests (run-time detected backends)"
# The crates whose suites need services or packages of their own run in their scripts below.
cargo test --workspace --release --no-fail-fast \
  --exclude prose-sec-kms-server --exclude prose-sec-libsrtp2 \
  --exclude prose-sec-net --exclude prose-sec-cli --exclude prose-sec-peers

echo "== the fastest peers (webrtc-srtp, str0m/aws-lc-rs, libsrtp+OpenSSL both ways; wolfSSL SP asm)"
bash scripts/test-peers.sh

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

echo "== the group call over loopback sockets (net, CLI: SIP, both modes, pcap via tshark)"
bash scripts/test-net.sh

echo "== the KMS service (SQLite and a real PostgreSQL)"
bash scripts/test-kms-server.sh

echo "== the libsrtp2 drop-in (ABI, libsrtp's rtpw, GStreamer)"
bash scripts/test-compat.sh

echo "== aarch64 under qemu (with and without the Cryptographic Extension)"
bash scripts/test-aarch64.sh

echo "== miri (portable backend unit tests and the C ABI pointer helpers, time-boxed)"
bash scripts/miri.sh

echo "== fuzzing (every target, time-boxed, coverage-guided)"
bash scripts/fuzz.sh "${PROSE_FUZZ_SECS:-15}"
