#!/usr/bin/env bash
# The interop tests of the fastest peers (issue 16), apart from the main test run because they
# fetch and build third-party source (crates.io) the first time:
# - SRTP: webrtc-srtp, str0m's SRTP on aws-lc-rs, libsrtp 2.3 with OpenSSL (srtp2-sys) and
#   Debian's libsrtp2, each against prose-sec in both directions (peers/tests/srtp_fastest_interop.rs);
# - SAKKE/ECCSI/MIKEY: the core crate's wolfSSL interop tests again, against wolfSSL 5.9 with its
#   SP 1024-bit assembly (scripts/build-wolfssl-sp.sh) instead of Debian's 5.5.4.
# Needs libssl-dev, libsrtp2-dev, libwolfssl-dev, autoconf, automake, libtool.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

cargo test --release -p prose-sec-peers --test srtp_fastest_interop

SP_DIR="$(bash scripts/build-wolfssl-sp.sh | tail -1)"
# (the RSK table test against Debian's wolfSSL first, then everything against the SP build)
cargo test --release -p prose-sec-peers --test wolfssl_build
PROSE_WOLFSSL_SP_DIR="$SP_DIR" cargo test --release -p prose-sec \
    --test sakke_wolfssl --test eccsi_wolfssl --test mikey_gmk
PROSE_WOLFSSL_SP_DIR="$SP_DIR" cargo test --release -p prose-sec-peers --test wolfssl_build
echo "test-peers.sh: ok"
