#!/usr/bin/env bash
# Builds the C library and runs the C tests: strict warnings, ASan+UBSan, then valgrind once.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
cargo build -q -p prose-sec-ffi --release
lib="$root/target/release"
out="$root/target/c-tests"
mkdir -p "$out"
echo "-- exported symbols"
bash ffi/tests/c/check-symbols.sh "$lib"
CFLAGS=(-std=c11 -Wall -Wextra -Wpedantic -Werror -g -I"$root/include")
LIBS=("$lib/libprose_sec.a" -lsrtp2 -lpthread -ldl -lm)
for src in ffi/tests/c/*.c; do
  name="$(basename "$src" .c)"
  echo "-- $name (ASan+UBSan)"
  cc "${CFLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    "$src" -o "$out/$name-asan" "${LIBS[@]}"
  ASAN_OPTIONS=detect_leaks=1 "$out/$name-asan"
  echo "-- $name (valgrind)"
  cc "${CFLAGS[@]}" -O1 "$src" -o "$out/$name" "${LIBS[@]}"
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    "$out/$name" >/dev/null
done

echo "-- install + pkg-config + shared library"
rm -rf "$out/prefix"
PREFIX="$out/prefix" bash scripts/install-c.sh >/dev/null
export PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Wpedantic -Werror ffi/tests/c/srtp_interop.c -o "$out/srtp_interop-shared" \
  $(pkg-config --cflags --libs prose_sec) -lsrtp2
LD_LIBRARY_PATH="$out/prefix/lib" "$out/srtp_interop-shared" | tail -1
