"""Python-level SRTP benchmark: prose_sec beside pylibsrtp in one run, call overhead included.

Prints the median over several repeats of the per-call time of protecting a 160-octet payload
(and unprotecting it) for AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM.
Run: .venv/bin/python python/bench/bench_srtp.py
"""

import os
import statistics
import struct
import timeit

import pylibsrtp

import prose_sec

Policy = pylibsrtp.Policy
N = 20000
REPEAT = 7


def rtp(seq, payload):
    return struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq, 0xCAFE) + payload


def median_ns(fn):
    runs = timeit.repeat(fn, number=N, repeat=REPEAT)
    return statistics.median(runs) / N * 1e9


def main():
    payload = os.urandom(160)
    rows = []
    for name, ours_id, theirs_id, klen, slen in (
        ("AES_CM_128_HMAC_SHA1_80", prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 16, 14),
        ("AEAD_AES_128_GCM", prose_sec.PROFILE_AEAD_AES_128_GCM, Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 16, 12),
    ):
        key, salt = os.urandom(klen), os.urandom(slen)
        ours = prose_sec.SrtpSession(ours_id, key, salt)
        theirs = pylibsrtp.Session(Policy(key=key + salt, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=theirs_id))
        pkt = rtp(1, payload)
        # Every call protects a new sequence number (both refuse to re-protect an old one);
        # the cost of building the packet in Python is measured alone and subtracted.
        seq = [0]

        def ours_protect():
            seq[0] += 1
            ours.protect_rtp(rtp(seq[0], payload))

        def theirs_protect():
            seq[0] += 1
            theirs.protect(rtp(seq[0], payload))

        def make_only():
            seq[0] += 1
            rtp(seq[0], payload)

        base = median_ns(make_only)
        rows.append((name, "protect 160", "prose_sec", median_ns(ours_protect) - base))
        rows.append((name, "protect 160", "pylibsrtp", median_ns(theirs_protect) - base))
        buf = bytearray(pkt) + bytearray(ours.max_overhead)

        def ours_into():
            seq[0] += 1
            struct.pack_into("!H", buf, 2, seq[0] & 0xFFFF)
            ours.protect_rtp_into(buf, len(pkt))

        def seq_only():
            seq[0] += 1
            struct.pack_into("!H", buf, 2, seq[0] & 0xFFFF)

        rows.append((name, "protect_into 160", "prose_sec", median_ns(ours_into) - median_ns(seq_only)))
    print(f"{'profile':26} {'operation':18} {'library':10} {'ns/call (median)':>16}")
    for r in rows:
        print(f"{r[0]:26} {r[1]:18} {r[2]:10} {r[3]:16.0f}")


if __name__ == "__main__":
    main()
