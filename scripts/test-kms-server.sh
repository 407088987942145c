#!/usr/bin/env bash
# The KMS service's tests: the kms-server suite on SQLite and on a real PostgreSQL (Debian's
# package, a throwaway cluster in a temporary directory on a free loopback port, stopped and
# removed on exit), and the CLI's kill-and-restart tests of `prose-sec kms serve`.
# Fuzzing of the request parser is time-boxed with KMS_FUZZ_SECS (default 0: skipped here).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in postgresql python3 openssl libssl-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "test-kms-server: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the unprivileged postgres user.
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/data" -A trust -U kms --no-sync >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w \
  -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
export PROSE_PG_URL="postgresql://kms@127.0.0.1:$port/postgres"
echo "test-kms-server: PostgreSQL on 127.0.0.1:$port"

export PROSE_PG_CTL="${as_pg[*]} $PGBIN/pg_ctl -D $tmp/data"
cargo test --release -p prose-sec-kms-server --features gba
if ls cli/tests/kms_serve*.rs >/dev/null 2>&1; then
  for t in cli/tests/kms_serve*.rs; do
    # With the GBA listener of `kms serve --gba-listen`.
    cargo test --release -p prose-sec-cli --features gba --test "$(basename "$t" .rs)"
  done
fi

secs=${KMS_FUZZ_SECS:-0}
if [ "$secs" -gt 0 ] && command -v cargo-fuzz >/dev/null 2>&1 && grep -q 'name = "kms_request"' fuzz/Cargo.toml; then
  (cd fuzz && cargo +nightly fuzz run kms_request corpus/kms_request -- -max_total_time="$secs")
fi
