#!/usr/bin/env bash
# The call I/O tests (net crate and CLI) in release: SIP, media, both call modes over loopback,
# the pcap read by tshark, kill and restart, 1000 members, a plain SIP user agent (sipp) as the
# initiator and as a member of the controller's fan-out. Installs tshark and sipp (Debian's
# sip-tester) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
for pkg in tshark sip-tester; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "test-net: installing ${need[*]}"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The sipp tests fail instead of skipping when sipp is missing.
PROSE_REQUIRE_SIPP=1 cargo test --release -p prose-sec-net -p prose-sec-cli
