#!/usr/bin/env bash
# Constant-time measurements (dudect-style, see ct/src/lib.rs) of every secret operation, with
# two deliberately leaky controls that must be flagged.
#
#   bash scripts/ct.sh [quick|long] [extra arguments of prose-sec-ct, e.g. --only srtp_tag]
#
# quick: 4 s per operation (about 2 minutes in all); long: 60 s per operation (about 25
# minutes). The table goes to stdout and, as Markdown, to target/ct/results-MODE.md.
# Exit status: 1 when a control is not flagged (the measurements say nothing), 2 when an
# operation is flagged in two runs in a row, 0 otherwise. Not part of scripts/test.sh: timings
# on a shared machine are not reliable enough to gate on (see SECURITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
shift || true
case "$mode" in
  quick | long) ;;
  *) echo "usage: ct.sh [quick|long] [prose-sec-ct arguments]" >&2; exit 64 ;;
esac
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p prose-sec-ct
mkdir -p "$CARGO_TARGET_DIR/ct"
out="$CARGO_TARGET_DIR/ct/results-$mode.md"
# One core, when the machine has more than one, so that measurements do not migrate.
pin=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc --all)" -gt 1 ]; then
  pin=(taskset -c "$(($(nproc --all) - 1))")
fi
set +e
"${pin[@]}" "$CARGO_TARGET_DIR/release/prose-sec-ct" "--$mode" --md "$out" "$@"
status=$?
set -e
echo "ct: results in $out"
exit "$status"
