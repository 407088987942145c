#!/usr/bin/env bash
# The project's main job for now: the engine benchmarks beside their peers (libsrtp2, wolfSSL,
# pylibsrtp), in one run. Extra arguments go to criterion (e.g. a filter: scripts/bench.sh gcm).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo bench -p prose-sec --bench srtp -- "$@"
cargo bench -p prose-sec --bench sakke -- "$@"
cargo bench -p prose-sec --bench eccsi -- "$@"
cargo bench -p prose-sec --bench mikey -- "$@"
cargo bench -p prose-sec --bench roles -- "$@"
cargo bench -p prose-sec --bench sakke_validate -- "$@"
echo "== the fastest peers: webrtc-srtp, str0m on aws-lc-rs, libsrtp with OpenSSL; wolfSSL SP asm"
cargo bench -p prose-sec-peers --bench srtp_fastest -- "$@"
PROSE_WOLFSSL_SP_DIR="$(bash scripts/build-wolfssl-sp.sh | tail -1)" PROSE_BENCH_CPU_TIME=1 \
  cargo bench -p prose-sec-peers --bench ibc_fastest -- "$@"
echo "== Python: prose_sec beside pylibsrtp"
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  maturin develop --release --quiet -m python/Cargo.toml
.venv/bin/python python/bench/bench_srtp.py
echo "== libsrtp2 drop-in beside Debian's libsrtp2 and libsrtp built with OpenSSL"
bash scripts/test-compat.sh --bench
echo "== KMS service: keyprov under 64 concurrent HTTPS clients"
cargo bench -p prose-sec-kms-server --bench keyprov
echo "== the group call: 1000 members on loopback UDP (GMK distribution, relayed call)"
cargo bench -p prose-sec-net --bench call
