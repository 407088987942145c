"""The GMK -> GSK -> SRTP chain from Python alone, and interop of the resulting SRTP with
pylibsrtp."""

import os
import struct

import pytest

import prose_sec
from prose_sec import exceptions

GROUP, ALICE, BOB, KMS = b"sip:g@example.org", b"sip:alice@example.org", b"sip:bob@example.org", b"kms.example.org"


def provision(now, z, zpub, ksak, kpak, uri):
    ident = prose_sec.prose_identifier(uri, now)
    ssk, pvt = ksak.issue(ident)
    signer = prose_sec.EccsiSigningKey(kpak, ident, ssk, pvt)
    dk = prose_sec.SakkeDecapsulationKey(zpub, ident, z.issue_rsk(ident))
    return signer, dk


def test_gmk_gsk_srtp_chain():
    now = prose_sec.ntp_now()
    z = prose_sec.SakkeKmsSecret.generate()
    zpub = z.public()
    ksak = prose_sec.EccsiKsak.generate()
    kpak = ksak.kpak()
    gm_signer, _ = provision(now, z, zpub, ksak, kpak, GROUP)
    alice_signer, alice_dk = provision(now, z, zpub, ksak, kpak, ALICE)
    _, bob_dk = provision(now, z, zpub, ksak, kpak, BOB)

    gmk, gmk_id = os.urandom(16), 0x0777_0001
    stores = {}
    for uri, dk in ((ALICE, alice_dk), (BOB, bob_dk)):
        msg = prose_sec.mikey_gmk_build(zpub, gm_signer, GROUP, uri, KMS, gmk_id, now, gmk)
        assert "HDR data_type=26" in prose_sec.mikey_decode(msg)
        store = prose_sec.GmkStore()
        with pytest.raises(exceptions.ProseError):
            store.process(kpak, dk, uri, b"sip:other@example.org", now, msg)
        assert len(store) == 0
        assert store.process(kpak, dk, uri, GROUP, now, msg) == gmk_id
        assert store.current(GROUP, now) == (gmk_id, gmk)
        assert store.current(b"sip:other@example.org", now) is None
        stores[uri] = store

    gsk, salt, gsk_id, ssrc = os.urandom(16), os.urandom(14), 0x5151_0001, 0x0C0FFEE0
    offer = prose_sec.mikey_gsk_offer_build(
        stores[ALICE], gmk_id, ALICE, GROUP, prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80,
        gsk, salt, gsk_id, [(ssrc, 5)], now, alice_signer,
    )
    sdp = "v=0\r\n" + prose_sec.sdp_key_mgmt_format(offer) + "\r\nm=audio 5004 RTP/SAVP 96\r\n"
    wire = prose_sec.sdp_key_mgmt_parse(sdp)
    assert wire == offer

    rx = prose_sec.GskReceiver(group_uri=GROUP, require_signature=True)
    with pytest.raises(exceptions.InvalidSignature):
        rx.process(stores[BOB], wire, now)  # no KPAK to check the signature with
    tampered = bytearray(wire)
    tampered[50] ^= 1
    with pytest.raises(exceptions.ProseError):
        rx.process(stores[BOB], bytes(tampered), now, kpak)
    keying = rx.process(stores[BOB], wire, now, kpak)
    assert keying.master_key == gsk and keying.master_salt == salt
    assert keying.mki == struct.pack("!I", gsk_id) and keying.signed
    assert keying.senders == [(ssrc, 5)] and "redacted" in repr(keying)
    bob = keying.session()
    assert bob.roc(ssrc) == 5

    alice = prose_sec.SrtpSession(keying.profile, gsk, salt, mki=struct.pack("!I", gsk_id))
    alice.set_roc(ssrc, 5)
    for seq in (65534, 65535, 0, 1):
        pkt = struct.pack("!BBHII", 0x80, 96, seq, seq * 160, ssrc) + os.urandom(160)
        assert bob.unprotect_rtp(alice.protect_rtp(pkt)) == pkt
    assert bob.roc(ssrc) == 6


def test_generated_keys_and_ids():
    a, b = prose_sec.generate_gmk(), prose_sec.generate_gmk()
    assert len(a) == 16 and a != b
    assert all(prose_sec.generate_gmk_id() & 0xF0000000 == 0 for _ in range(32))
    key, salt = prose_sec.generate_gsk(1)
    assert (len(key), len(salt)) == (16, 14)
    assert 0 <= prose_sec.generate_gsk_id() < 2**32
    with pytest.raises(prose_sec.ProseError):
        prose_sec.generate_gsk(0xFFFF)
