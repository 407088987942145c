#!/usr/bin/env python3
"""Markdown tables from the criterion output of the fastest-peer benches.

    cargo bench -p prose-sec-peers --bench srtp_fastest 2>&1 | tee srtp.log
    python3 scripts/bench-table.py srtp srtp.log
    python3 scripts/bench-table.py ibc ibc.log

Reads each benchmark's name and the median of its `time:` line; batch rows (16 packets a call)
are given per packet. Ratio = fastest peer / ours (> 1: ours faster).
"""
import re
import sys

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
BATCH = 16


def medians(path):
    out, name = {}, None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^(\S+/\S+)", line)
        if m and "time:" not in line.split(m.group(1), 1)[0]:
            name = m.group(1)
        t = re.search(r"time:\s*\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if t and name:
            out[name] = float(t.group(1)) * UNITS[t.group(2)]
            name = None
    return out


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def srtp(rows):
    peers = ["libsrtp-openssl", "webrtc-srtp", "str0m-aws-lc-rs", "libsrtp-debian"]
    alg_names = {"aes128cm80": "AES_CM_128_HMAC_SHA1_80", "aes128gcm": "AEAD_AES_128_GCM"}
    print("| benchmark | prose-sec | fastest peer | ratio | " + " | ".join(peers) + " |")
    print("|---|---:|---|---:|" + "---:|" * len(peers))
    keys = sorted({k.rsplit("/", 1)[0] for k in rows},
                  key=lambda k: (k.split("/")[1], "batch" in k, int(k.split("/")[2]), k))
    for k in keys:
        op, alg, size = k.split("/")
        div = BATCH if op.endswith("_batch") else 1
        ours = rows.get(f"{k}/prose")
        if ours is None:
            continue
        vals = {p: rows[f"{k}/{p}"] / div for p in peers if f"{k}/{p}" in rows}
        fast = [p for p in peers[:3] if p in vals]
        best = min(fast, key=lambda p: vals[p])
        label = op.replace("_batch", "")
        label = (f"batch {label} ({BATCH} a call; per packet)" if div > 1 else label)
        print(f"| {label} {alg_names.get(alg, alg)}, {size} octets | {fmt(ours / div)} | "
              f"{best} {fmt(vals[best])} | {vals[best] / (ours / div):.2f}× | "
              + " | ".join(fmt(vals[p]) if p in vals else "—" for p in peers) + " |")


def ibc(rows):
    print("| benchmark | prose-sec | wolfSSL SP | ratio |")
    print("|---|---:|---:|---:|")
    for k in sorted({k.rsplit("/", 1)[0] for k in rows}, key=lambda k: list(rows).index(k + "/prose") if k + "/prose" in rows else 0):
        ours, peer = rows.get(f"{k}/prose"), rows.get(f"{k}/wolfssl-sp")
        if ours is None or peer is None:
            continue
        print(f"| {k} | {fmt(ours)} | {fmt(peer)} | {peer / ours:.2f}× |")


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    {"srtp": srtp, "ibc": ibc}[kind](medians(path))
