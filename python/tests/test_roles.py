"""The whole chain through the role objects, in both identifier profiles: KMS -> Annex D
provisioning documents -> Group Manager -> three members -> one member's signed call -> SRTP at
the others; and the refusals a member reports as events."""

import struct

import pytest

import prose_sec
from prose_sec import exceptions

KMS_URI = b"kms.example.org"
GROUP = b"sip:fire-brigade@example.org"
OTHER = b"sip:police@example.org"
URIS = [b"sip:unit-%d@example.org" % i for i in range(3)]
NOW = 3_900_000_000
FORMATS = [("prose", 0, 0), ("mcptt", 30 * 86_400, 0)]


def rtp(seq, ssrc):
    return struct.pack("!BBHII", 0x80, 0, seq, 0, ssrc) + bytes((i ^ seq) & 0xFF for i in range(160))


def world(fmt):
    name, period, offset = fmt
    kms = prose_sec.Kms(KMS_URI, name, period, offset)
    no = kms.period_no(NOW)
    # KmsInit: the certificate as a document, read on the member side.
    doc = kms.certificate().to_xml(URIS[0], NOW)
    assert b"KmsInit" in doc
    cert = prose_sec.KmsCertificate.from_xml(doc)
    assert cert.id_format == name and cert.kms_uri == KMS_URI
    assert cert.period_no(NOW) == no
    start, end = cert.validity(no)
    assert start <= NOW < end

    def through_xml(uri, ks):
        xml = kms.key_prov_xml(uri, [ks], NOW)
        assert b"KmsKeyProv" in xml
        (back,) = cert.key_sets_from_xml(xml)
        assert back.user_uri == uri and back.period_no == no
        assert back.user_id == cert.identifier(uri, no)
        return back

    issued = kms.issue_many(URIS, no)
    members = []
    for uri, ks in zip(URIS, issued):
        assert isinstance(ks, prose_sec.KeySet)
        ks = through_xml(uri, ks)
        cert.accept(uri, ks, NOW)
        with pytest.raises(exceptions.InvalidParameter):
            cert.accept(OTHER, ks, NOW)
        m = prose_sec.Member(uri, cert)
        m.add_key_set(ks, NOW)
        m.join(GROUP)
        members.append(m)
    group_ks = through_xml(GROUP, kms.issue(GROUP, no))
    with pytest.raises(exceptions.InvalidParameter):
        prose_sec.GroupManager(OTHER, cert, group_ks, NOW)
    gm = prose_sec.GroupManager(GROUP, cert, group_ks, NOW)
    for uri in URIS:
        assert gm.add_member(uri)
    assert not gm.add_member(URIS[0])
    return kms, cert, gm, members


@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_chain(fmt):
    kms, cert, gm, members = world(fmt)
    by_uri = {m.uri: m for m in members}
    gmk = gm.create_gmk()
    assert gm.current() == gmk
    notes = gm.notifications(gmk, NOW)
    assert len(notes) == 3 and sorted(gm.unconfirmed(gmk)) == sorted(URIS)
    for who, gmk_id, msg in notes:
        assert gmk_id == gmk
        ev = by_uri[who].handle(msg, NOW)
        assert (ev.kind, ev.group, ev.gmk_id, ev.gsk_id, ev.reason) == (
            "gmk_accepted", GROUP, gmk, None, None)
        assert "gmk_accepted" in repr(ev)
        assert by_uri[who].current_gmk(GROUP, NOW) == gmk
        gm.confirm(who, gmk)
    assert gm.unconfirmed(gmk) == []

    ssrc = 0x5EED0001
    with pytest.raises(exceptions.UnknownKey):
        members[0].start_call(OTHER, prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, [ssrc], NOW + 1)
    call = members[0].start_call(GROUP, prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, [ssrc], NOW + 1)
    assert call.gmk_id == gmk
    offer = call.first_offer()
    assert "a=key-mgmt:mikey " in call.sdp_offer("192.0.2.1", 49170)
    plain = rtp(7, ssrc)
    pkt = call.protect_rtp(plain)
    assert len(pkt) > len(plain) and pkt[12:28] != plain[12:28]
    for m in members[1:]:
        assert not m.has_session(GROUP)
        with pytest.raises(exceptions.UnknownKey):
            m.unprotect_rtp(GROUP, pkt)
        ev = m.handle(offer, NOW + 2)
        assert (ev.kind, ev.group, ev.gsk_id, ev.reason) == ("session_started", GROUP, call.gsk_id, None)
        assert m.has_session(GROUP)
        assert m.unprotect_rtp(GROUP, pkt) == plain
        with pytest.raises(exceptions.ReplayDuplicate):
            m.unprotect_rtp(GROUP, pkt)
        pkt2 = call.protect_rtp(rtp(8, ssrc)) if m is members[1] else pkt2
        assert m.unprotect_rtp(GROUP, pkt2) == rtp(8, ssrc)

    # A re-send for late entry.
    assert call.resend_due(NOW + 2, members[0]) is None
    again = call.resend_due(NOW + 6, members[0])
    assert again is not None
    ev = members[1].handle(again, NOW + 6)
    assert (ev.kind, ev.gsk_id) == ("resent", call.gsk_id)

    # Rekey: a new GMK, a new call under it is Rekeyed at the members.
    gmk2, notes2 = gm.rekey(NOW + 10)
    for who, _, msg in notes2:
        assert by_uri[who].handle(msg, NOW + 10).kind == "gmk_accepted"
    call2 = members[0].start_call(GROUP, prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, [ssrc + 1], NOW + 11)
    assert call2.gmk_id == gmk2
    ev = members[2].handle(call2.first_offer(), NOW + 11)
    assert (ev.kind, ev.gsk_id) == ("rekeyed", call2.gsk_id)
    assert members[2].unprotect_rtp(GROUP, call2.protect_rtp(rtp(1, ssrc + 1))) == rtp(1, ssrc + 1)


@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_refusals(fmt):
    kms, cert, gm, members = world(fmt)
    gmk = gm.create_gmk()
    for who, _, msg in gm.notifications(gmk, NOW):
        next(m for m in members if m.uri == who).handle(msg, NOW)
    bob = members[1]

    # Garbage: a parse error, no group; nothing changes.
    ev = bob.handle(b"\xa5" * 40, NOW)
    assert ev.kind == "refused" and ev.group is None
    assert isinstance(ev.reason, exceptions.ParseError)
    assert isinstance(ev.reason, prose_sec.ProseError)
    assert "ParseError" in repr(ev)

    # A GMK of a group Bob did not join.
    other = prose_sec.GroupManager(OTHER, cert, kms.issue(OTHER, kms.period_no(NOW)), NOW)
    other.add_member(bob.uri)
    og = other.create_gmk()
    ((_, _, msg),) = other.notifications(og, NOW)
    ev = bob.handle(msg, NOW)
    assert ev.kind == "refused" and isinstance(ev.reason, exceptions.InvalidParameter)
    assert bob.current_gmk(OTHER, NOW) is None
    with pytest.raises(exceptions.UnknownKey):
        bob.unprotect_rtp(OTHER, rtp(1, 1))

    # A stale offer names its group; an unsigned one is refused by a member requiring signatures.
    call = members[0].start_call(GROUP, prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, [7], NOW + 1)
    ev = bob.handle(call.first_offer(), NOW + 600)
    assert (ev.kind, ev.group) == ("refused", GROUP)
    assert isinstance(ev.reason, exceptions.FreshnessError)
    unsigned = members[0].start_call(GROUP, prose_sec.PROFILE_AES_CM_128_HMAC_SHA1_80, [8], NOW + 1, sign=False)
    ev = bob.handle(unsigned.first_offer(), NOW + 2)
    assert ev.kind == "refused" and ev.reason is not None
    assert not bob.has_session(GROUP)

    # Documents and arguments.
    with pytest.raises(exceptions.ParseError):
        prose_sec.KmsCertificate.from_xml(b"not xml")
    with pytest.raises(exceptions.ParseError):
        cert.key_sets_from_xml(b"<KmsResponse/>")
    with pytest.raises(exceptions.InvalidParameter):
        prose_sec.Kms(KMS_URI, "monthly")
    with pytest.raises(exceptions.InvalidParameter):
        gm.confirm(OTHER, gmk)
    with pytest.raises(exceptions.UnknownKey):
        gm.notifications(0x0BAD_0000, NOW)
    # A key set of the wrong period is refused by the member, which keeps nothing.
    late = kms.issue(URIS[1], kms.period_no(NOW) + 5)
    with pytest.raises(exceptions.KeyExpired):
        bob.add_key_set(late, NOW)
