#!/usr/bin/env bash
# Builds wolfSSL with SAKKE, ECCSI and its SP 1024-bit assembly, from the wolfSSL source that the
# crates.io crate `wolfssl-sys` bundles, in the target directory (nothing is committed or
# vendored): the fastest wolfSSL peer of the SAKKE/ECCSI benchmarks.
#
#   bash scripts/build-wolfssl-sp.sh          # prints the install prefix on its last line
#   export PROSE_WOLFSSL_SP_DIR=$(bash scripts/build-wolfssl-sp.sh | tail -1)
#   cargo bench -p prose-sec-peers --bench ibc_fastest
#
# Needs gcc, make, autoconf, automake and libtool (Debian: apt-get install autoconf automake
# libtool). A second run with the same version reuses the build.
set -euo pipefail

WOLFSSL_SYS_VERSION="${WOLFSSL_SYS_VERSION:-5.3.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$TARGET/wolfssl-sp/wolfssl-sys-$WOLFSSL_SYS_VERSION"
PREFIX="$WORK/install"

if [[ -f "$PREFIX/lib/libwolfssl.a" && -f "$PREFIX/.configured-with" ]]; then
    echo "wolfSSL SP build present: $PREFIX" >&2
    echo "$PREFIX"
    exit 0
fi

for tool in gcc make autoreconf automake libtoolize; do
    command -v "$tool" >/dev/null || {
        echo "build-wolfssl-sp.sh: $tool missing (apt-get install autoconf automake libtool)" >&2
        exit 1
    }
done

mkdir -p "$WORK"
# Fetch the crate with cargo (a throwaway manifest), then unpack its .crate from the cache.
FETCH="$WORK/fetch"
mkdir -p "$FETCH/src"
cat > "$FETCH/Cargo.toml" <<TOML
[package]
name = "wolfssl-sp-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
wolfssl-sys = "=$WOLFSSL_SYS_VERSION"

[workspace]
TOML
: > "$FETCH/src/lib.rs"
(cd "$FETCH" && cargo fetch --quiet)
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
CRATE="$(ls "$CARGO_HOME_DIR"/registry/cache/*/"wolfssl-sys-$WOLFSSL_SYS_VERSION.crate" | head -1)"
[[ -f "$CRATE" ]] || { echo "wolfssl-sys-$WOLFSSL_SYS_VERSION.crate not in the cargo cache" >&2; exit 1; }

SRC="$WORK/src"
rm -rf "$SRC"
mkdir -p "$SRC"
tar -xzf "$CRATE" -C "$SRC" --strip-components=1
cd "$SRC/wolfssl-src"
grep -m1 LIBWOLFSSL_VERSION_STRING wolfssl/version.h >&2

CONFIG=(--prefix="$PREFIX" --enable-static --disable-shared
    --enable-sakke --enable-eccsi
    --enable-sp=yes,1024 --enable-sp-asm --enable-intelasm
    --disable-examples --disable-crypttests)
./autogen.sh >"$WORK/autogen.log" 2>&1
./configure "${CONFIG[@]}" >"$WORK/configure.log" 2>&1 || { tail -30 "$WORK/configure.log" >&2; exit 1; }
make -j"$(nproc)" >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log" >&2; exit 1; }
make install >"$WORK/install.log" 2>&1
printf '%s\n' "${CONFIG[@]}" > "$PREFIX/.configured-with"
echo "wolfSSL SP build installed: $PREFIX" >&2
echo "$PREFIX"
