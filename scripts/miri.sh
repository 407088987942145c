#!/usr/bin/env bash
# Runs the unit tests of the code that Miri can check under its undefined-behaviour detector:
# the core crate on the forced portable backend (the wiping helpers, which are the portable
# build's only `unsafe`, and the cheap SRTP, ECCSI field, MIKEY and provisioning unit tests
# around them) and the C ABI's pointer helpers (ffi/src/ptr.rs, the only `unsafe` of the C ABI).
# The arch kernels (AVX-512, AES-NI, ...) are not compiled in this build: Miri cannot run
# them; the C-side sanitizers (ffi/tests/c/run.sh) cover the C boundary at run time.
#
#   bash scripts/miri.sh     # building first, then the tests time-boxed to PROSE_MIRI_SECS
#                            # (default 180 s; about 70 s on a 2-core machine)
#
# Installs the nightly toolchain and its miri and rust-src components when missing. Exits
# non-zero on any Miri finding, test failure or time-out.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${PROSE_MIRI_SECS:-180}"

# PROSE_MIRI_OPTIONAL=1 turns a toolchain that cannot be installed (no network) into a
# warning instead of a failure.
unavailable() {
  echo "miri: $1" >&2
  if [ "${PROSE_MIRI_OPTIONAL:-0}" = 1 ]; then
    echo "miri: SKIPPED (PROSE_MIRI_OPTIONAL=1)" >&2
    exit 0
  fi
  exit 1
}
if ! rustup run nightly rustc -V >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal ||
    unavailable "cannot install the nightly toolchain"
fi
have="$(rustup component list --installed --toolchain nightly)"
for c in miri rust-src; do
  grep -q "^$c" <<<"$have" || rustup component add "$c" --toolchain nightly ||
    unavailable "cannot install the nightly $c component"
done

# Miri's own target directory (its sysroot and test binaries are not the normal ones).
export CARGO_TARGET_DIR="${PROSE_MIRI_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/miri-soft}"
export RUSTFLAGS='--cfg prose_backend="soft"'
# Isolation off only for proptest (it reads its regression files); strict provenance catches
# integer-to-pointer casts; tests that need more than a few seconds under Miri are skipped.
export MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-strict-provenance"
export PROPTEST_CASES="${PROPTEST_CASES:-4}"
cargo +nightly miri setup >/dev/null 2>&1 || cargo +nightly miri setup

echo "-- miri: building the test binaries"
cargo +nightly miri test -q -p prose-sec --lib --no-run
cargo +nightly miri test -q -p prose-sec-ffi --lib --no-run

start=$SECONDS
left() { echo $((budget - (SECONDS - start))); }
run() {
  local t
  t="$(left)"
  if [ "$t" -le 0 ]; then
    echo "miri: time budget of ${budget}s used up before: $*" >&2
    exit 1
  fi
  timeout --kill-after=10 "$t" cargo +nightly miri test -q "$@"
}

echo "-- miri: prose-sec lib (portable backend)"
# Filters name the cheap groups; the skipped tests take minutes under Miri (key generation,
# 10,000-round churn, 400-operation model runs, scalar-multiplication properties).
run -p prose-sec --lib -- \
  backend:: srtp::replay:: srtp::auth:: srtp::stream:: kms::provision:: mikey::text:: \
  eccsi::field:: eccsi::point:: eccsi::tests::g_sec1_is_the_generator \
  eccsi::mul::tests::digits_reconstruct \
  --skip churn_keeps_index_and_lookup_bounded --skip table_matches_model

echo "-- miri: prose-sec-ffi pointer helpers"
run -p prose-sec-ffi --lib -- ptr::

echo "miri: no undefined behaviour found ($((SECONDS - start)) s)"
