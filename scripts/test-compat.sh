#!/usr/bin/env bash
# The libsrtp2 drop-in (compat/libsrtp2): builds libsrtp2.so.1, its headers and libsrtp2.pc
# into a staging prefix, then checks it against code we did not write:
#   1. ABI: sizes, offsets, enumeration values and constants against Debian's libsrtp2 2.5
#      headers; API behaviour (every status code, every packet byte) against Debian's library.
#   2. libsrtp 2.3's own test programs (from the crates.io crate srtp2-sys, fetched now, never
#      committed): rtpw with the arguments of rtpw_test.sh and rtpw_test_gcm.sh, our library on
#      both ends, and against stock libsrtp 2.3 (built here with OpenSSL) in both directions.
#   3. GStreamer's srtpenc/srtpdec (Debian gst-plugins-bad) on our library through
#      LD_LIBRARY_PATH: every profile the elements offer, payloads compared; stock -> ours and
#      ours -> stock through files and over UDP on loopback; ROC handover through the caps;
#      rekey through the request-key signal.
# Usage: scripts/test-compat.sh [--bench]   (TARGET=... to choose the cargo target dir)
#   --bench: afterwards, the benchmark: bench.c through the libsrtp2 API on our library, on
#   Debian's libsrtp2 (NSS) and on libsrtp 2.3 built here with OpenSSL, in one run; then the
#   criterion bench of the API against the engine's Session (the shim's own cost).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-}

# --- packages (idempotent) ---------------------------------------------------------------
need=()
for pkg in gcc make pkg-config iproute2 libsrtp2-1 libssl-dev gstreamer1.0-tools gstreamer1.0-plugins-base \
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad python3-gi gir1.2-gstreamer-1.0 \
  gir1.2-gst-plugins-base-1.0; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# Debian's libsrtp2 headers (any architecture's libsrtp2-dev provides /usr/include/srtp2).
[ -f /usr/include/srtp2/srtp.h ] || need+=(libsrtp2-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "test-compat: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
MULTIARCH=$(gcc -print-multiarch)
DEBIAN_LIB=/usr/lib/$MULTIARCH/libsrtp2.so.1
[ -f "$DEBIAN_LIB" ] || { echo "test-compat: $DEBIAN_LIB missing"; exit 1; }
PY=/usr/bin/python3   # the system Python, which has python3-gi

export CARGO_TARGET_DIR=${TARGET:-${CARGO_TARGET_DIR:-$ROOT/target}}
WORK=$CARGO_TARGET_DIR/compat-test
rm -rf "$WORK"
mkdir -p "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
pass() { echo "test-compat: ok   $*"; }
fail() { echo "test-compat: FAIL $*"; FAILED=1; }
FAILED=0

# --- build and stage ---------------------------------------------------------------------
cargo build --release -q -p prose-sec-libsrtp2
STAGE=$WORK/stage
mkdir -p "$STAGE/lib/pkgconfig" "$STAGE/include/srtp2"
cp "$CARGO_TARGET_DIR/release/libsrtp2.so" "$STAGE/lib/libsrtp2.so.1"
strip --strip-debug "$STAGE/lib/libsrtp2.so.1"
ln -sf libsrtp2.so.1 "$STAGE/lib/libsrtp2.so"
cp "$CARGO_TARGET_DIR/release/libsrtp2.a" "$STAGE/lib/libsrtp2.a"
cp compat/libsrtp2/include/srtp2/*.h "$STAGE/include/srtp2/"
sed "s|@PREFIX@|$STAGE|" compat/libsrtp2/libsrtp2.pc.in >"$STAGE/lib/pkgconfig/libsrtp2.pc"
OURS=$STAGE/lib
[ "$(readelf -d "$OURS/libsrtp2.so.1" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = libsrtp2.so.1 ] \
  && pass "SONAME libsrtp2.so.1" || fail "SONAME"
PKG_CONFIG_PATH=$STAGE/lib/pkgconfig pkg-config --atleast-version=2.1 libsrtp2 \
  && pass "libsrtp2.pc version $(PKG_CONFIG_PATH=$STAGE/lib/pkgconfig pkg-config --modversion libsrtp2) >= 2.1" \
  || fail "libsrtp2.pc"
if nm -D --defined-only "$OURS/libsrtp2.so.1" | awk '{print $3}' | grep -vE '^(srtp_|prose_srtp2_)' | grep -q .; then
  fail "exports other than srtp_* and prose_srtp2_*"
else
  pass "exports only srtp_* (and prose_srtp2_set_rtp_key_limit)"
fi

# --- 1. ABI and behaviour against Debian's libsrtp2 --------------------------------------
C=compat/libsrtp2/tests/c
gcc -std=c11 -Wall -Werror -o "$WORK/layout-debian" $C/layout.c
gcc -std=c11 -Wall -Werror -I "$STAGE/include" -o "$WORK/layout-ours" $C/layout.c
gcc -std=c11 -I "$STAGE/include" -M $C/layout.c | grep -q "$STAGE/include/srtp2/srtp.h" || fail "layout test did not use our headers"
"$WORK/layout-debian" >"$WORK/layout-debian.txt"
"$WORK/layout-ours" >"$WORK/layout-ours.txt"
if diff -u "$WORK/layout-debian.txt" "$WORK/layout-ours.txt"; then
  pass "layouts: $(wc -l <"$WORK/layout-ours.txt") sizes, offsets, values equal to libsrtp 2.5's"
else fail "layouts differ"; fi

gcc -std=gnu11 -Wall -O1 -o "$WORK/behaviour-debian" $C/behaviour.c "$DEBIAN_LIB"
gcc -std=gnu11 -Wall -O1 -I "$STAGE/include" -o "$WORK/behaviour-ours" $C/behaviour.c -L"$OURS" -lsrtp2 -Wl,-rpath,"$OURS"
"$WORK/behaviour-debian" >"$WORK/behaviour-debian.txt" || fail "behaviour checks (Debian's libsrtp2)"
"$WORK/behaviour-ours" >"$WORK/behaviour-ours.txt" || fail "behaviour checks (ours)"
if diff -u "$WORK/behaviour-debian.txt" "$WORK/behaviour-ours.txt"; then
  pass "behaviour: $(wc -l <"$WORK/behaviour-ours.txt") lines (statuses, SRTP/SRTCP packets) identical to Debian's libsrtp2"
else fail "behaviour differs from Debian's libsrtp2"; fi
# The same program against the static archive.
gcc -std=gnu11 -O1 -I "$STAGE/include" -o "$WORK/behaviour-static" $C/behaviour.c "$OURS/libsrtp2.a" -lpthread -ldl -lm
"$WORK/behaviour-static" | cmp -s - "$WORK/behaviour-ours.txt" && pass "static archive" || fail "static archive"
gcc -std=gnu11 -Wall -O1 -I "$STAGE/include" -o "$WORK/limits" $C/limits.c -L"$OURS" -lsrtp2 -Wl,-rpath,"$OURS"
"$WORK/limits" >/dev/null && pass "key-limit events, log handler, unsupported features" || fail "limits"

# --- 2. libsrtp 2.3's test programs --------------------------------------------------------
FETCH=$WORK/fetch
mkdir -p "$FETCH/src"
cat >"$FETCH/Cargo.toml" <<'EOF'
[package]
name = "fetch-srtp2-sys"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
srtp2-sys = { version = "=3.0.2", default-features = false }
[workspace]
EOF
: >"$FETCH/src/lib.rs"
(cd "$FETCH" && cargo fetch -q)
SYS=$(cd "$FETCH" && cargo metadata --format-version 1 -q | $PY -c \
  'import json,sys; print([p for p in json.load(sys.stdin)["packages"] if p["name"]=="srtp2-sys"][0]["manifest_path"].rsplit("/",1)[0])')
LIBSRTP=$WORK/libsrtp-2.3
cp -r "$SYS/libsrtp" "$LIBSRTP"
(cd "$LIBSRTP" && chmod +x configure && ./configure -q --enable-openssl >/dev/null && make -s -j2 shared_library >/dev/null 2>&1)
STOCK=$WORK/stock
mkdir -p "$STOCK"
cp -P "$LIBSRTP"/libsrtp2.so.1 "$STOCK/"
T=$LIBSRTP/test
# rtpw, unchanged, built once with libsrtp's own headers; the library is chosen at run time.
gcc -O1 -w -DHAVE_CONFIG_H -I"$LIBSRTP/crypto/include" -I"$LIBSRTP/include" -I"$T" -o "$WORK/rtpw" \
  "$T/rtpw.c" "$T/rtp.c" "$T/util.c" "$T/getopt_s.c" -L"$STOCK" -l:libsrtp2.so.1
cp "$T/words.txt" "$WORK/"
lib_of() { case $1 in ours) echo "$OURS" ;; stock) echo "$STOCK" ;; esac; }
# The argument sets of rtpw_test.sh and rtpw_test_gcm.sh, read from the scripts.
RTPW_ARGS=$(awk -F'"' '/^key=/{split($0,k,"=");key=k[2]} /^ARGS=/{a=$2; gsub(/\$key/,key,a); print a}' "$T/rtpw_test.sh"
  grep -hoE '^GCMARGS(128|256)="[^"]*"' "$T/rtpw_test_gcm.sh" | cut -d'"' -f2)
PORT=19999
run_rtpw() { # $1 sender lib, $2 receiver lib, $3.. args
  local s=$1 r=$2; shift 2
  while PORT=$((PORT + 1)); ss -Huan "sport = :$PORT" | grep -q .; do :; done
  (cd "$WORK" && LD_LIBRARY_PATH=$(lib_of "$r") exec ./rtpw "$@" -r 127.0.0.1 $PORT >"$WORK/rx.log" 2>&1) &
  local rp=$!; PIDS+=("$rp"); sleep 0.5
  (cd "$WORK" && LD_LIBRARY_PATH=$(lib_of "$s") exec ./rtpw "$@" -s 127.0.0.1 $PORT >"$WORK/tx.log" 2>&1) &
  local sp=$!; PIDS+=("$sp"); sleep 2.5
  kill "$sp" "$rp" 2>/dev/null || true; wait "$sp" "$rp" 2>/dev/null || true
  RX_WORDS=$(grep -c 'word:' "$WORK/rx.log" || true)
  RX_ERR=$(grep -ciE 'error|fail' "$WORK/rx.log" || true)
  TX_ERR=$(grep -ciE 'error|fail' "$WORK/tx.log" || true)
}
while IFS= read -r args; do
  [ -n "$args" ] || continue
  # shellcheck disable=SC2086
  for pair in "ours ours" "stock ours" "ours stock"; do
    set -- $pair
    run_rtpw "$1" "$2" $args
    if [[ $args == *-g* && $args != *"-t 16"* ]]; then
      # AES-GCM with 8-octet tags: not supported by the engine; the side on our library
      # must refuse it (srtp_create -> srtp_err_status_bad_param) rather than differ.
      refused=0
      [ "$1" = ours ] && [ "$TX_ERR" -gt 0 ] && refused=1
      [ "$2" = ours ] && [ "$RX_ERR" -gt 0 ] && refused=1
      if [ "$RX_WORDS" -eq 0 ] && [ $refused -eq 1 ]; then
        pass "rtpw $1 -> $2 [$args]: refused as unsupported (8-octet GCM tag)"
      else fail "rtpw $1 -> $2 [$args]: expected a refusal"; fi
    elif [ "$RX_WORDS" -ge 3 ] && [ "$RX_ERR" -eq 0 ] && [ "$TX_ERR" -eq 0 ]; then
      pass "rtpw $1 -> $2 [$args]: $RX_WORDS words received"
    else
      fail "rtpw $1 -> $2 [$args]: $RX_WORDS words, errors rx $RX_ERR tx $TX_ERR"
      sed 's/^/    rx: /' "$WORK/rx.log" | tail -5
    fi
  done
done <<<"$RTPW_ARGS"
echo "test-compat: not built: test_srtp.c (compiles libsrtp's srtp.c in), roc_driver.c and replay_driver.c"
echo "             (test libsrtp's private rdbx/rdb replay database), srtp_driver.c (srtp_priv.h stream internals)"

# --- 3. GStreamer --------------------------------------------------------------------------
G=compat/libsrtp2/tests/gst/srtp_gst.py
export GST_REGISTRY=$WORK/gst-registry.bin
hexkey() { $PY -c "import sys; print(bytes((i * 29 + $2) & 255 for i in range($1)).hex())"; }
# One pipeline srtpenc ! srtpdec per profile (gst-launch), payload compared with the same
# pipeline without SRTP.
SRC="audiotestsrc num-buffers=120 samplesperbuffer=160 wave=sine ! audio/x-raw,format=S16BE,rate=8000,channels=1 ! rtpL16pay pt=96 ssrc=305419896 seqnum-offset=65480"
timeout 30 gst-launch-1.0 -q $SRC ! rtpL16depay ! filesink location="$WORK/ref.raw"
LD_LIBRARY_PATH=$OURS LD_DEBUG=libs timeout 30 gst-launch-1.0 -q $SRC ! srtpenc key="$(hexkey 30 1)" ! srtpdec ! fakesink \
  >"$WORK/ld.log" 2>&1 || true
grep -q "calling init: $OURS/libsrtp2.so.1" "$WORK/ld.log" && pass "gst-launch loads $OURS/libsrtp2.so.1" || fail "gst-launch did not load our library"
# (srtpenc 1.22 wants a 0-octet master key with the null cipher, whatever the library, so the
# null-cipher profiles cannot be keyed through the element; the C tests cover them.)
PROFILES="aes-128-icm:hmac-sha1-80:30 aes-128-icm:hmac-sha1-32:30 aes-256-icm:hmac-sha1-80:46
aes-256-icm:hmac-sha1-32:46 aes-128-gcm:null:28 aes-256-gcm:null:44"
for p in $PROFILES; do
  IFS=: read -r cipher auth klen <<<"$p"
  K=$(hexkey "$klen" 3)
  rm -f "$WORK/out.raw"
  LD_LIBRARY_PATH=$OURS timeout 30 gst-launch-1.0 -q $SRC ! srtpenc key="$K" rtp-cipher=$cipher rtp-auth=$auth \
    rtcp-cipher=$cipher rtcp-auth=$auth ! srtpdec ! rtpL16depay ! filesink location="$WORK/out.raw" >/dev/null 2>&1 || true
  cmp -s "$WORK/ref.raw" "$WORK/out.raw" && pass "gst srtpenc ! srtpdec $cipher/$auth (ours), $(stat -c %s "$WORK/ref.raw") octets equal" \
    || fail "gst srtpenc ! srtpdec $cipher/$auth"
  # Mixed, through srtp_gst.py (fixed packets, across a sequence wrap): stock -> ours, ours -> stock.
  for dir in "stock ours" "ours stock"; do
    set -- $dir
    e=(); [ "$1" = ours ] && e=(env LD_LIBRARY_PATH="$OURS")
    d=(); [ "$2" = ours ] && d=(env LD_LIBRARY_PATH="$OURS")
    if "${e[@]}" $PY $G encode --cipher $cipher --auth $auth --key "$K" --seq0 65500 --count 80 --out "$WORK/p.bin" >"$WORK/g.log" 2>&1 &&
      "${d[@]}" $PY $G decode --cipher $cipher --auth $auth --key "$K" --inp "$WORK/p.bin" >>"$WORK/g.log" 2>&1; then
      pass "gst $1 srtpenc -> $2 srtpdec $cipher/$auth: 80 packets"
    else fail "gst $1 -> $2 $cipher/$auth"; tail -3 "$WORK/g.log"; fi
  done
done
# Combinations the elements offer that the engine refuses (encryption without authentication,
# no protection at all): our srtpenc must send nothing, Debian's libsrtp sends.
for p in aes-128-icm:null:30 aes-256-icm:null:46; do
  IFS=: read -r cipher auth klen <<<"$p"
  if ! LD_LIBRARY_PATH=$OURS $PY $G encode --cipher $cipher --auth $auth --key "$(hexkey "$klen" 5)" --count 5 \
      --out "$WORK/u.bin" >/dev/null 2>&1 && [ ! -s "$WORK/u.bin" ]; then
    pass "gst $cipher/$auth: refused by our library (unsupported), nothing sent"
  else fail "gst $cipher/$auth: expected a refusal"; fi
done
# MKI through the caps, both directions.
K=$(hexkey 30 7)
LD_LIBRARY_PATH=$OURS $PY $G encode --key "$K" --mki 0a0b0c --out "$WORK/m.bin" >/dev/null 2>&1 &&
  $PY $G decode --key "$K" --mki 0a0b0c --inp "$WORK/m.bin" >/dev/null 2>&1 &&
  $PY $G encode --key "$K" --mki 0a0b0c --out "$WORK/m2.bin" >/dev/null 2>&1 &&
  LD_LIBRARY_PATH=$OURS $PY $G decode --key "$K" --mki 0a0b0c --inp "$WORK/m2.bin" >/dev/null 2>&1 &&
  pass "gst MKI 0a0b0c ours <-> stock" || fail "gst MKI"
# ROC handover through the caps: a receiver that joins after the sequence wrap, told roc=1.
LD_LIBRARY_PATH=$OURS $PY $G encode --key "$K" --seq0 65500 --count 200 --out "$WORK/roc.bin" >/dev/null 2>&1
$PY $G encode --key "$K" --seq0 65500 --count 200 --out "$WORK/roc-stock.bin" >/dev/null 2>&1
for in in roc roc-stock; do
  if LD_LIBRARY_PATH=$OURS $PY $G decode --key "$K" --inp "$WORK/$in.bin" --skip 100 --roc 1 >/dev/null 2>&1 &&
    LD_LIBRARY_PATH=$OURS $PY $G decode --key "$K" --inp "$WORK/$in.bin" --skip 100 --roc 0 --expect-fail >/dev/null 2>&1 &&
    $PY $G decode --key "$K" --inp "$WORK/$in.bin" --skip 100 --roc 1 >/dev/null 2>&1; then
    pass "gst ROC via caps ($in.bin): joins at roc=1 (ours and stock), nothing with roc=0"
  else fail "gst ROC via caps ($in.bin)"; fi
done
# Rekey through request-key: two keys, the second asked for after remove-key.
K2=$(hexkey 30 11)
$PY $G encode --key "$K" --count 50 --out "$WORK/k1.bin" >/dev/null 2>&1
LD_LIBRARY_PATH=$OURS $PY $G encode --key "$K2" --seq0 50 --count 50 --out "$WORK/k2.bin" >/dev/null 2>&1
for lib in ours stock; do
  x=(); [ $lib = ours ] && x=(env LD_LIBRARY_PATH="$OURS")
  "${x[@]}" $PY $G rekey --key "$K" --key2 "$K2" --inp "$WORK/k1.bin" --inp2 "$WORK/k2.bin" >"$WORK/r.log" 2>&1 &&
    pass "gst rekey via request-key ($lib srtpdec): $(grep -o 'asked [0-9]* times' "$WORK/r.log"), 100 packets" ||
    { fail "gst rekey ($lib)"; tail -3 "$WORK/r.log"; }
done
# Over UDP on loopback: Debian's srtpenc -> our srtpdec and the reverse.
udp() { # $1 sender lib, $2 receiver lib, $3 cipher, $4 auth, $5 key
  local rx=() tx=() port
  # A port nothing else on the machine has bound.
  while PORT=$((PORT + 1)); ss -Huan "sport = :$PORT" | grep -q .; do :; done
  port=$PORT
  [ "$2" = ours ] && rx=(env LD_LIBRARY_PATH="$OURS")
  [ "$1" = ours ] && tx=(env LD_LIBRARY_PATH="$OURS")
  rm -f "$WORK/udp.raw"
  "${rx[@]}" timeout 30 gst-launch-1.0 -q -e udpsrc address=127.0.0.1 port=$port caps="application/x-srtp,media=(string)audio,clock-rate=(int)8000,encoding-name=(string)L16,payload=(int)96,ssrc=(uint)305419896,srtp-key=(buffer)$5,srtp-cipher=(string)$3,srtp-auth=(string)$4,srtcp-cipher=(string)$3,srtcp-auth=(string)$4" \
    ! srtpdec ! rtpL16depay ! filesink location="$WORK/udp.raw" >"$WORK/udp-rx.log" 2>&1 &
  local rp=$!; PIDS+=("$rp")
  # Start sending once the receiver's pipeline is playing (its socket bound), plus a margin.
  for _ in $(seq 100); do ss -Huln "sport = :$port" | grep -q . && break; sleep 0.1; done
  sleep 0.5
  "${tx[@]}" timeout 30 gst-launch-1.0 -q audiotestsrc is-live=true num-buffers=120 samplesperbuffer=160 wave=sine \
    ! audio/x-raw,format=S16BE,rate=8000,channels=1 ! rtpL16pay pt=96 ssrc=305419896 seqnum-offset=65480 \
    ! srtpenc key="$5" rtp-cipher=$3 rtp-auth=$4 rtcp-cipher=$3 rtcp-auth=$4 ! udpsink host=127.0.0.1 port=$port \
    >"$WORK/udp-tx.log" 2>&1 || echo "    udp: sender exited with $?"
  sleep 1; kill -INT "$rp" 2>/dev/null || true; wait "$rp" 2>/dev/null || true
  cmp -s "$WORK/ref.raw" "$WORK/udp.raw" || {
    echo "    udp: received $(stat -c %s "$WORK/udp.raw" 2>/dev/null || echo 0) of $(stat -c %s "$WORK/ref.raw") octets"
    tail -3 "$WORK/udp-rx.log" "$WORK/udp-tx.log" | sed 's/^/    /'
    false
  }
}
for p in aes-128-icm:hmac-sha1-80:30 aes-256-gcm:null:44; do
  IFS=: read -r cipher auth klen <<<"$p"
  K=$(hexkey "$klen" 13)
  for dir in "stock ours" "ours stock"; do
    set -- $dir
    udp "$1" "$2" $cipher $auth "$K" && pass "gst UDP $1 srtpenc -> $2 srtpdec $cipher/$auth: payload equal" \
      || fail "gst UDP $1 -> $2 $cipher/$auth"
  done
done

if [ "$FAILED" -ne 0 ]; then echo "test-compat: FAILED"; exit 1; fi
echo "test-compat: all passed"

if [ "$MODE" = --bench ]; then
  gcc -O2 -I "$STAGE/include" -o "$WORK/bench" $C/bench.c -L"$OURS" -l:libsrtp2.so.1
  echo "bench: $(nproc) CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1-3 /proc/loadavg)"
  for round in 1 2; do
    LD_LIBRARY_PATH=$OURS "$WORK/bench" "prose-sec libsrtp2.so.1"
    LD_LIBRARY_PATH=$STOCK "$WORK/bench" "libsrtp 2.3 (OpenSSL 3)"
    "$WORK/bench" "libsrtp 2.5 (Debian, NSS)"
  done | tee "$WORK/bench.txt"
  cargo bench -q -p prose-sec-libsrtp2 --bench shim -- --warm-up-time 1 --measurement-time 3 2>&1 \
    | grep -E '^protect|time:' | tee "$WORK/shim.txt"
fi
