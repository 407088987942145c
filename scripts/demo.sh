#!/usr/bin/env bash
# The main command: installs what the project needs (scripts/setup.sh: toolchain parts, tshark),
# builds prose-sec and runs `prose-sec demo` with a pcap of the whole run and the members' WAVs.
# Arguments go to `prose-sec demo` (e.g. --members 1000, --mode connected, --audio speech.wav).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
out="${DEMO_OUT:-demo-out}"
mkdir -p "$out/wav"
cargo run --release -q -p prose-sec-cli -- demo --pcap "$out/demo.pcap" --wav-dir "$out/wav" "$@"
echo "SIP in the capture:  tshark -r $out/demo.pcap -Y sip"
echo "MIKEY in the SDP:    tshark -r $out/demo.pcap -Y 'sdp.key_mgmt.kmpid == \"mikey\"' -V"
echo "RTP streams:         tshark -r $out/demo.pcap -o rtp.heuristic_rtp:TRUE -q -z rtp,streams"
