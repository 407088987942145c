#!/usr/bin/env bash
# The project's main job for now: the engine benchmarks beside their peers (libsrtp2, wolfSSL),
# in one run. Extra arguments go to criterion (e.g. a filter: scripts/bench.sh gcm).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo bench -p prose-sec --bench srtp -- "$@"
cargo bench -p prose-sec --bench sakke -- "$@"
cargo bench -p prose-sec --bench eccsi -- "$@"
