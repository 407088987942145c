#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, skipping what is already there:
# the peers (libsrtp2, wolfSSL), libclang for bindgen, tshark, and a Python venv in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libsrtp2-dev libwolfssl-dev libclang-dev pkg-config tshark python3-venv valgrind gcc binutils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ -f scripts/requirements.txt ] && ! cmp -s scripts/requirements.txt .venv/.requirements 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt .venv/.requirements
fi
