#!/usr/bin/env bash
# Builds the C library and installs it, make-install style:
#   PREFIX=/usr/local bash scripts/install-c.sh      (default PREFIX=/usr/local; DESTDIR honoured)
# Installs lib/libprose_sec.{so,a}, include/prose_sec.h and lib/pkgconfig/prose_sec.pc.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
DEST="${DESTDIR:-}${PREFIX}"
cargo build --release -p prose-sec-ffi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' ffi/Cargo.toml | head -1)"
install -d "$DEST/lib/pkgconfig" "$DEST/include"
install -m 0644 target/release/libprose_sec.a "$DEST/lib/"
major="${version%%.*}"
install -m 0755 target/release/libprose_sec.so "$DEST/lib/libprose_sec.so.$version"
ln -sf "libprose_sec.so.$version" "$DEST/lib/libprose_sec.so.$major"
ln -sf "libprose_sec.so.$major" "$DEST/lib/libprose_sec.so"
install -m 0644 include/prose_sec.h "$DEST/include/"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@VERSION@|$version|" ffi/prose_sec.pc.in \
  > "$DEST/lib/pkgconfig/prose_sec.pc"
echo "installed prose_sec $version into $DEST"
