"""SAKKE and ECCSI through the Python bindings: the RFC 6507/6508 Appendix A values, round
trips with fresh keys, and bad input raising the right exception."""

import os

import pytest

import prose_sec
from prose_sec import exceptions

from vectors import load

V = load("rfc6507_6508.txt")
S = V["rfc6508_sakke"]
E = V["rfc6507_eccsi"]


def test_sakke_rfc6508_appendix_a():
    z = prose_sec.SakkeKmsSecret.from_bytes(S["z"])
    kms = z.public()
    assert kms.to_bytes() == S["Z"]
    rsk = z.issue_rsk(S["b"])
    assert rsk.to_bytes() == S["K_bS"]
    prose_sec.sakke_validate_rsk(kms, S["b"], rsk)
    sed = prose_sec.sakke_encapsulate(kms, S["b"], S["SSV"])
    assert sed == S["R_bS"] + S["H"] == S["encapsulated_data"]
    dk = prose_sec.SakkeDecapsulationKey(kms, S["b"], rsk)
    assert dk.decapsulate(sed) == S["SSV"]


def test_sakke_round_trip_and_errors():
    z = prose_sec.SakkeKmsSecret.generate()
    kms = prose_sec.SakkeKmsPublic.from_bytes(z.public().to_bytes())
    alice, bob = b"2026-11\x00tel:+100\x00", b"2026-11\x00tel:+200\x00"
    ssv = os.urandom(16)
    seds = prose_sec.sakke_encapsulate_many(kms, [(alice, ssv), (bob, ssv)])
    ka, kb = z.issue_rsks([alice, bob])
    assert prose_sec.SakkeDecapsulationKey(kms, alice, ka).decapsulate(seds[0]) == ssv
    assert prose_sec.SakkeDecapsulationKey(kms, bob, kb).decapsulate(seds[1]) == ssv
    with pytest.raises(exceptions.InvalidKey):
        prose_sec.sakke_validate_rsk(kms, bob, ka)
    with pytest.raises(exceptions.InvalidKey):
        prose_sec.SakkeDecapsulationKey(kms, bob, ka)
    dk = prose_sec.SakkeDecapsulationKey(kms, alice, ka)
    bad = bytearray(seds[0])
    bad[-1] ^= 1  # tampered H
    with pytest.raises(exceptions.ProseError):
        dk.decapsulate(bytes(bad))
    with pytest.raises(exceptions.ParseError):
        dk.decapsulate(seds[0][:-1])
    off = bytearray(seds[0])
    off[100] ^= 1  # R no longer on the curve
    with pytest.raises(exceptions.InvalidPoint):
        dk.decapsulate(bytes(off))
    with pytest.raises(exceptions.ProseError):
        prose_sec.SakkeKmsPublic.from_bytes(b"\x04" + bytes(256))
    assert "redacted" in repr(z) and "redacted" in repr(ka)


def test_eccsi_rfc6507_appendix_a():
    ksak = prose_sec.EccsiKsak.from_bytes(E["KSAK"])
    kpak = ksak.kpak()
    assert kpak.to_bytes() == E["KPAK"]
    key = prose_sec.EccsiSigningKey(kpak, E["ID"], E["SSK"], E["PVT"])
    prose_sec.eccsi_verify(kpak, E["ID"], E["M"], E["Signature"])
    prose_sec.EccsiVerifier(kpak, E["ID"], E["PVT"]).verify(E["M"], E["Signature"])
    sig = key.sign(E["M"])
    assert len(sig) == 129 and sig[64:] == E["PVT"]
    prose_sec.eccsi_verify(kpak, E["ID"], E["M"], sig)


def test_eccsi_round_trip_and_errors():
    ksak = prose_sec.EccsiKsak.generate()
    kpak = prose_sec.EccsiKpak.from_bytes(ksak.kpak().to_bytes())
    ident = b"2026-11\x00tel:+300\x00"
    ssk, pvt = ksak.issue(ident)
    key = prose_sec.EccsiSigningKey(kpak, ident, ssk, pvt)
    sig = key.sign(b"offer")
    verifier = prose_sec.EccsiVerifier(kpak, ident, pvt)
    verifier.verify(b"offer", sig)
    with pytest.raises(exceptions.InvalidSignature):
        verifier.verify(b"offer!", sig)
    with pytest.raises(exceptions.InvalidSignature):
        prose_sec.eccsi_verify(kpak, b"2026-11\x00tel:+301\x00", b"offer", sig)
    zero_r = bytes(32) + sig[32:]
    with pytest.raises(exceptions.InvalidSignature):
        verifier.verify(b"offer", zero_r)
    with pytest.raises(exceptions.InvalidKey):
        prose_sec.EccsiSigningKey(kpak, b"2026-11\x00tel:+301\x00", ssk, pvt)
    with pytest.raises(exceptions.ProseError):
        prose_sec.EccsiKpak.from_bytes(b"\x04" + bytes(64))
    assert "redacted" in repr(ksak) and "redacted" in repr(key)
