#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, skipping what is already there:
# the peers (libsrtp2, wolfSSL; autotools for wolfSSL's SP build from source), libclang for bindgen, tshark, and a Python venv in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# python3 and ca-certificates are not in Debian's base image (pip needs TLS roots).
for pkg in libsrtp2-dev libwolfssl-dev libclang-dev pkg-config tshark python3 python3-venv \
  ca-certificates valgrind gcc libc6-dev binutils libssl-dev autoconf automake libtool; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The lints need the toolchain's rustfmt and clippy (a minimal rustup profile lacks them).
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q "^rustfmt" || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q "^clippy" || rustup component add clippy
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ -f scripts/requirements.txt ] && ! cmp -s scripts/requirements.txt .venv/.requirements 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt .venv/.requirements
fi
