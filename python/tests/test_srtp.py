"""SrtpSession: interop with pylibsrtp (an independent libsrtp build) in both directions, the
in-place API, and bad input raising the right exception."""

import os
import struct

import pytest

import prose_sec
from prose_sec import exceptions

pylibsrtp = pytest.importorskip("pylibsrtp")
Policy = pylibsrtp.Policy

# (our profile id, pylibsrtp profile, key length, salt length)
SHARED = [
    (prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 16, 14),
    (prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_32, Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 16, 14),
    (prose_sec.PROFILE_AEAD_AES_128_GCM, Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 16, 12),
    (prose_sec.PROFILE_AEAD_AES_256_GCM, Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 32, 12),
]


def rtp(seq, ssrc, payload):
    return struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq * 160, ssrc) + payload


def rtcp(ssrc):
    return struct.pack("!BBHI", 0x80, 201, 6, ssrc) + bytes(range(20))


def pair(ours, theirs, klen, slen):
    key, salt = os.urandom(klen), os.urandom(slen)
    mine = prose_sec.SrtpSession(ours, key, salt)
    tx = pylibsrtp.Session(Policy(key=key + salt, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=theirs))
    rx = pylibsrtp.Session(Policy(key=key + salt, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=theirs))
    return mine, tx, rx


@pytest.mark.parametrize("ours,theirs,klen,slen", SHARED)
def test_interop_both_directions(ours, theirs, klen, slen):
    mine_tx, _, lib_rx = pair(ours, theirs, klen, slen)
    # Same keys for the other direction.
    for size in (0, 20, 160, 1200):
        for seq in (65534, 65535, 0, 1):  # across the ROC rollover
            pkt = rtp(seq + size, 0x1234, os.urandom(size))
            assert lib_rx.unprotect(mine_tx.protect_rtp(pkt)) == pkt
    key, salt = os.urandom(klen), os.urandom(slen)
    mine_rx = prose_sec.SrtpSession(ours, key, salt)
    lib_tx = pylibsrtp.Session(Policy(key=key + salt, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=theirs))
    for seq in range(65530, 65540):
        pkt = rtp(seq, 0x5678, os.urandom(160))
        assert mine_rx.unprotect_rtp(lib_tx.protect(pkt)) == pkt
    assert mine_rx.roc(0x5678) == 1
    for _ in range(3):
        pkt = rtcp(0x5678)
        assert mine_rx.unprotect_rtcp(lib_tx.protect_rtcp(pkt)) == pkt
        pkt = rtcp(0x1234)
        assert lib_rx.unprotect_rtcp(mine_tx.protect_rtcp(pkt)) == pkt


def test_in_place_bytearray():
    key, salt = os.urandom(16), os.urandom(14)
    tx = prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key, salt)
    rx = prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key, salt)
    pkt = rtp(1, 7, bytes(160))
    buf = bytearray(pkt) + bytearray(tx.max_overhead)
    n = tx.protect_rtp_into(buf, len(pkt))
    assert n == len(pkt) + 10
    assert bytes(buf[12:n]) != pkt[12:]
    m = rx.unprotect_rtp_into(buf, n)
    assert bytes(buf[:m]) == pkt


def test_errors_are_typed_and_leave_state_unchanged():
    key, salt = os.urandom(16), os.urandom(14)
    tx = prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key, salt)
    rx = prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key, salt)
    srtp = tx.protect_rtp(rtp(5, 9, b"x" * 40))
    bad = bytearray(srtp)
    bad[-1] ^= 0x80
    with pytest.raises(exceptions.AuthFailed):
        rx.unprotect_rtp(bytes(bad))
    assert rx.unprotect_rtp(srtp) == rtp(5, 9, b"x" * 40)
    with pytest.raises(exceptions.ReplayDuplicate) as e:
        rx.unprotect_rtp(srtp)
    assert isinstance(e.value, exceptions.ReplayError)
    with pytest.raises(exceptions.ParseError):
        rx.unprotect_rtp(b"\x80")
    with pytest.raises(exceptions.Unsupported):
        prose_sec.SrtpSession(999, key, salt)
    with pytest.raises(exceptions.InvalidParameter):
        prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key[:15], salt)
    with pytest.raises(exceptions.BufferTooSmall):
        tx.protect_rtp_into(bytearray(rtp(6, 9, b"")), None)


def test_batch_matches_libsrtp():
    key, salt = os.urandom(16), os.urandom(14)
    ours = prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key, salt)
    lib_rx = pylibsrtp.Session(Policy(key=key + salt, ssrc_type=Policy.SSRC_ANY_INBOUND,
                                      srtp_profile=Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
    pkts = [rtp(100 + i, 0x4242, os.urandom(160)) for i in range(20)]
    out = ours.protect_rtp_batch(pkts)
    assert [lib_rx.unprotect(p) for p in out] == pkts
    rx = prose_sec.SrtpSession(prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, key, salt)
    assert rx.unprotect_rtp_batch(out) == pkts
    [dup] = rx.unprotect_rtp_batch(out[:1])
    assert isinstance(dup, exceptions.ReplayDuplicate)


def test_batch_one_bad_packet_keeps_the_good_ones():
    # One forged, one duplicate and one good packet in a batch: the good ones come back as bytes,
    # the bad ones as exception instances, and the good ones stay accepted (re-submitting them is
    # a replay, so losing them to a raised exception would drop them for good).
    key, salt = os.urandom(16), os.urandom(14)
    prof = prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80
    tx = prose_sec.SrtpSession(prof, key, salt)
    rx = prose_sec.SrtpSession(prof, key, salt)
    pkts = [rtp(500 + i, 0x77, os.urandom(100)) for i in range(6)]
    out = tx.protect_rtp_batch(pkts)
    assert all(isinstance(p, bytes) for p in out)
    forged = bytearray(out[2])
    forged[20] ^= 1
    batch = [out[0], out[1], bytes(forged), out[1], out[3], out[4], out[5]]
    res = rx.unprotect_rtp_batch(batch)
    assert res[0] == pkts[0] and res[1] == pkts[1]
    assert isinstance(res[2], exceptions.AuthFailed)
    assert isinstance(res[3], exceptions.ReplayDuplicate)
    assert res[4:] == pkts[3:]
    # The forged packet changed nothing: the genuine one is still accepted.
    assert rx.unprotect_rtp(out[2]) == pkts[2]
    # Protect results carry errors the same way: an undersized packet fails alone.
    res = tx.protect_rtp_batch([rtp(600, 0x77, b"x"), b"\x80"])
    assert isinstance(res[0], bytes)
    assert isinstance(res[1], exceptions.ProseError)
