#!/usr/bin/env bash
# Our library shares processes with libsrtp and others: every symbol it exports to C must start
# with `prose_`. Checks the dynamic symbol table of the shared library, and the global unmangled
# symbols of the static library (Rust-mangled names, _ZN…/_R…, cannot clash with C names, and
# the compiler runtime's `__` helpers are in the namespace C reserves for the implementation,
# and LLVM's hash-named `anon.<hash>.N` constants cannot collide with a C name either).
set -euo pipefail
lib_dir="$1"
fail=0
globals() { nm "$@" | awk '$2 ~ /^[TDBR]$/ {print $3}'; }

so="$lib_dir/libprose_sec.so"
all=$(globals -D --defined-only "$so")
grep -qx prose_result_str <<<"$all" || { echo "FAIL: $so does not export prose_result_str"; fail=1; }
bad=$(grep -v '^prose_' <<<"$all" || true)
[ -z "$bad" ] || { echo "FAIL: $so exports non-prose_ symbols:"; echo "$bad"; fail=1; }
echo "shared library: $(wc -l <<<"$all") exported symbols, all prose_"

a="$lib_dir/libprose_sec.a"
all=$(globals -g --defined-only "$a" 2>/dev/null)
grep -qx prose_result_str <<<"$all" || { echo "FAIL: $a does not define prose_result_str"; fail=1; }
bad=$(grep -vE '^(prose_|_ZN|_R|__|anon\.[0-9a-f]{32}\.)' <<<"$all" || true)
[ -z "$bad" ] || { echo "FAIL: $a defines foreign C-visible symbols:"; echo "$bad"; fail=1; }
echo "static library: $(grep -c '^prose_' <<<"$all") prose_ symbols, no other C-visible names"
exit $fail
