/* The whole chain through the role objects of the C ABI, in both identifier profiles: a KMS
 * issues the certificate and key sets as TS 33.180 Annex D documents; the members and the Group
 * Manager read them back; the Group Manager sends a GMK to three members, who accept and confirm
 * it; one member starts a signed call; the other two get SessionStarted and decrypt its SRTP,
 * and a re-sent offer is Resent. Then the refusals a member reports as events: garbage (a parse
 * error, no group), a GMK of a group it did not join, an SRTP packet for a group without a
 * session, and argument errors. */
#include <prose_sec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#define OK(call)                                                                              \
    do {                                                                                      \
        prose_result r_ = (call);                                                             \
        CHECK(r_ == PROSE_OK, "%s: %s", #call, prose_result_str(r_));                         \
    } while (0)
#define S(str) (const uint8_t *)(str), strlen(str)

#define N 3
static const char *KMS = "kms.example.org", *GROUP = "sip:fire-brigade@example.org",
                  *OTHER = "sip:police@example.org";
static const char *URIS[N] = {"sip:unit-0@example.org", "sip:unit-1@example.org",
                              "sip:unit-2@example.org"};
static const uint64_t NOW = 3900000000u;

static uint8_t xml[16384];

static size_t rtp(uint8_t *p, uint16_t seq, uint32_t ssrc) {
    memset(p, 0, 12);
    p[0] = 0x80;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[8] = (uint8_t)(ssrc >> 24);
    p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
    for (int i = 0; i < 160; i++) p[12 + i] = (uint8_t)(i ^ seq);
    return 172;
}

/* The key set of `ks` carried through a KmsKeyProv document and read back with `cert`. */
static prose_key_set *through_xml(const prose_kms *kms, const prose_kms_certificate *cert,
                                  const char *uri, const prose_key_set *ks) {
    size_t len = 0, n = 0;
    const prose_key_set *sets[1] = {ks};
    OK(prose_kms_key_prov_xml(kms, S(uri), sets, 1, NOW, xml, sizeof xml, &len));
    CHECK(len > 0 && strstr((const char *)xml, "KmsKeyProv") != NULL, "key-prov document");
    /* Too small a buffer: the length needed. */
    size_t need = 0;
    CHECK(prose_kms_key_prov_xml(kms, S(uri), sets, 1, NOW, xml, 10, &need) ==
              PROSE_ERR_BUFFER_TOO_SMALL && need == len,
          "needed length %zu vs %zu", need, len);
    OK(prose_kms_key_prov_xml(kms, S(uri), sets, 1, NOW, xml, sizeof xml, &len));
    prose_key_set *out[2] = {NULL, NULL};
    OK(prose_key_set_from_xml(cert, xml, len, out, 2, &n));
    CHECK(n == 1 && out[0] != NULL, "one key set read back: %zu", n);
    memset(xml, 0, sizeof xml); /* it held secret keys */
    return out[0];
}

static int find(const uint8_t *uri, size_t len) {
    for (int i = 0; i < N; i++)
        if (strlen(URIS[i]) == len && memcmp(URIS[i], uri, len) == 0) return i;
    return -1;
}

static void chain(uint32_t format) {
    printf("-- profile %s\n", format == PROSE_ID_FORMAT_PROSE ? "prose" : "mcptt");
    prose_kms *kms = NULL;
    OK(prose_kms_new(S(KMS), format, 30u * 86400u, 0, &kms));
    uint64_t no = 0;
    OK(prose_kms_period_no(kms, NOW, &no));

    /* KmsInit: the certificate as a document, read back on the member side. */
    prose_kms_certificate *kms_cert = NULL, *cert = NULL;
    OK(prose_kms_get_certificate(kms, &kms_cert));
    size_t len = 0;
    OK(prose_kms_certificate_to_xml(kms_cert, S(URIS[0]), NOW, xml, sizeof xml, &len));
    CHECK(strstr((const char *)xml, "KmsInit") != NULL, "KmsInit document");
    CHECK(strstr((const char *)xml,
                 format == PROSE_ID_FORMAT_PROSE ? "<UserIdFormat>0<" : "<UserIdFormat>2<") !=
              NULL,
          "UserIdFormat of the profile");
    OK(prose_kms_certificate_from_xml(xml, len, &cert));
    uint64_t no2 = 0, from = 0, to = 0;
    OK(prose_kms_certificate_period_no(cert, NOW, &no2));
    OK(prose_kms_certificate_validity(cert, no2, &from, &to));
    CHECK(no2 == no && from <= NOW && NOW < to, "period %llu [%llu, %llu)",
          (unsigned long long)no2, (unsigned long long)from, (unsigned long long)to);
    uint8_t ident[128];
    size_t ident_len = 0;
    OK(prose_kms_certificate_identifier(cert, S(URIS[0]), no, ident, sizeof ident, &ident_len));
    CHECK(ident_len == (format == PROSE_ID_FORMAT_PROSE ? 8 + strlen(URIS[0]) + 1 : 32),
          "identifier length %zu", ident_len);
    CHECK(prose_kms_certificate_from_xml(S("<KmsResponse/>"), &(prose_kms_certificate *){0}) ==
              PROSE_ERR_PARSE,
          "a root in no namespace is a parse error");

    /* Key sets: three members in one batch, the group identity alone. */
    const uint8_t *uris[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        uris[i] = (const uint8_t *)URIS[i];
        lens[i] = strlen(URIS[i]);
    }
    prose_key_set *issued[N];
    prose_result results[N];
    OK(prose_kms_issue_many(kms, uris, lens, N, no, issued, results));
    prose_member *members[N];
    for (int i = 0; i < N; i++) {
        CHECK(results[i] == PROSE_OK && issued[i] != NULL, "issued %d", i);
        prose_key_set *ks = through_xml(kms, cert, URIS[i], issued[i]);
        uint64_t pno = 0;
        uint8_t uri[64];
        size_t uri_len = 0;
        OK(prose_key_set_get(ks, &pno, NULL, NULL, uri, sizeof uri, &uri_len));
        CHECK(pno == no && uri_len == lens[i] && memcmp(uri, URIS[i], uri_len) == 0,
              "key set %d read back", i);
        OK(prose_kms_certificate_accept(cert, S(URIS[i]), ks, NOW));
        CHECK(prose_kms_certificate_accept(cert, S(OTHER), ks, NOW) ==
                  PROSE_ERR_INVALID_PARAMETER,
              "another user's key set refused");
        OK(prose_member_new(S(URIS[i]), cert, true, 0, &members[i]));
        OK(prose_member_add_key_set(members[i], ks, NOW));
        OK(prose_member_join(members[i], S(GROUP)));
        prose_key_set_free(ks);
        prose_key_set_free(issued[i]);
    }
    prose_key_set *group_ks = NULL, *gks = NULL;
    OK(prose_kms_issue(kms, S(GROUP), no, &group_ks));
    gks = through_xml(kms, cert, GROUP, group_ks);
    prose_group_manager *gm = NULL;
    CHECK(prose_group_manager_new(S(OTHER), cert, gks, NOW, &gm) == PROSE_ERR_INVALID_PARAMETER,
          "a manager needs its group's key set");
    OK(prose_group_manager_new(S(GROUP), cert, gks, NOW, &gm));
    for (int i = 0; i < N; i++) {
        bool added = false;
        OK(prose_group_manager_add_member(gm, S(URIS[i]), &added));
        CHECK(added, "member %d added", i);
    }

    /* The GMK to everyone; each accepts and confirms. */
    uint32_t gmk = 0, cur = 0;
    OK(prose_group_manager_create_gmk(gm, 0, 0, &gmk));
    OK(prose_group_manager_current(gm, &cur));
    CHECK(cur == gmk, "current GMK");
    prose_notifications *notes = NULL;
    OK(prose_group_manager_notifications(gm, gmk, NOW, &notes));
    CHECK(prose_notifications_count(notes) == N, "one message per member");
    size_t unconfirmed = 0;
    OK(prose_group_manager_unconfirmed_count(gm, gmk, &unconfirmed));
    CHECK(unconfirmed == N, "none confirmed yet");
    uint8_t group[128];
    for (size_t k = 0; k < prose_notifications_count(notes); k++) {
        const uint8_t *who = NULL, *msg = NULL;
        size_t who_len = 0, msg_len = 0;
        uint32_t id = 0;
        OK(prose_notifications_get(notes, k, &who, &who_len, &id, &msg, &msg_len));
        int i = find(who, who_len);
        CHECK(i >= 0 && id == gmk, "message %zu for a member", k);
        if (i < 0) continue;
        prose_member_event ev;
        OK(prose_member_handle(members[i], msg, msg_len, NOW, group, sizeof group, &ev));
        CHECK(ev.kind == PROSE_EVENT_GMK_ACCEPTED && ev.gmk_id == gmk && ev.has_group &&
                  ev.group_len == strlen(GROUP) && memcmp(group, GROUP, ev.group_len) == 0 &&
                  ev.reason == PROSE_OK,
              "member %d: GmkAccepted (kind %d reason %s)", i, (int)ev.kind,
              prose_result_str(ev.reason));
        uint32_t mg = 0;
        OK(prose_member_current_gmk(members[i], S(GROUP), NOW, &mg));
        CHECK(mg == gmk, "member %d current GMK", i);
        OK(prose_group_manager_confirm(gm, who, who_len, gmk));
    }
    CHECK(prose_notifications_get(notes, N, &(const uint8_t *){0}, &(size_t){0},
                                  &(uint32_t){0}, &(const uint8_t *){0},
                                  &(size_t){0}) == PROSE_ERR_INVALID_PARAMETER,
          "index past the end");
    prose_notifications_free(notes);
    OK(prose_group_manager_unconfirmed_count(gm, gmk, &unconfirmed));
    CHECK(unconfirmed == 0, "all confirmed");

    /* Member 0 calls, signed; the others start their sessions and decrypt. */
    const uint32_t ssrc = 0x5eed0001u;
    prose_initiator *call = NULL;
    CHECK(prose_member_start_call(members[0], S(OTHER), 1, &ssrc, 1, NOW + 1, true, &call) ==
              PROSE_ERR_UNKNOWN_KEY,
          "no call to a group without a GMK");
    OK(prose_member_start_call(members[0], S(GROUP), 1, &ssrc, 1, NOW + 1, true, &call));
    CHECK(prose_initiator_gmk_id(call) == gmk, "call under the GMK");
    uint8_t offer[2048];
    size_t offer_len = 0;
    OK(prose_initiator_first_offer(call, offer, sizeof offer, &offer_len));
    char sdp[4096];
    size_t sdp_len = 0;
    OK(prose_initiator_sdp_offer(call, S("192.0.2.1"), 49170, (uint8_t *)sdp, sizeof sdp,
                                 &sdp_len));
    CHECK(sdp_len == strlen(sdp) && strstr(sdp, "a=key-mgmt:mikey ") != NULL, "SDP offer");
    uint8_t plain[256], pkt[256 + 64];
    size_t plain_len = rtp(plain, 7, ssrc), pkt_len = 0;
    memcpy(pkt, plain, plain_len);
    CHECK(plain_len + prose_initiator_max_overhead(call) <= sizeof pkt, "room for the trailer");
    OK(prose_initiator_protect_rtp(call, pkt, plain_len, sizeof pkt, &pkt_len));
    CHECK(pkt_len > plain_len && memcmp(pkt + 12, plain + 12, 16) != 0, "encrypted");
    for (int i = 1; i < N; i++) {
        prose_member_event ev;
        uint8_t buf[sizeof pkt];
        size_t out_len = 0;
        memcpy(buf, pkt, pkt_len);
        CHECK(!prose_member_has_session(members[i], S(GROUP)), "no session before the offer");
        CHECK(prose_member_unprotect_rtp(members[i], S(GROUP), buf, pkt_len, sizeof buf,
                                         &out_len) == PROSE_ERR_UNKNOWN_KEY,
              "member %d: no session yet", i);
        OK(prose_member_handle(members[i], offer, offer_len, NOW + 2, group, sizeof group, &ev));
        CHECK(ev.kind == PROSE_EVENT_SESSION_STARTED && ev.gsk_id == prose_initiator_gsk_id(call) &&
                  ev.group_len == strlen(GROUP) && memcmp(group, GROUP, ev.group_len) == 0,
              "member %d: SessionStarted (kind %d reason %s)", i, (int)ev.kind,
              prose_result_str(ev.reason));
        CHECK(prose_member_has_session(members[i], S(GROUP)), "session after the offer");
        OK(prose_member_unprotect_rtp(members[i], S(GROUP), buf, pkt_len, sizeof buf, &out_len));
        CHECK(out_len == plain_len && memcmp(buf, plain, plain_len) == 0,
              "member %d decrypts", i);
        /* The same packet again is a replay; a flipped bit fails authentication. */
        memcpy(buf, pkt, pkt_len);
        CHECK(prose_member_unprotect_rtp(members[i], S(GROUP), buf, pkt_len, sizeof buf,
                                         &out_len) == PROSE_ERR_REPLAY_DUPLICATE,
              "member %d: replay", i);
    }

    /* A re-send for late entry: not due yet, then due; members see it as Resent. */
    bool due = true;
    size_t re_len = 0;
    OK(prose_initiator_resend_due(call, members[0], NOW + 2, offer, sizeof offer, &re_len, &due));
    CHECK(!due, "no re-send due yet");
    size_t need = 0;
    CHECK(prose_initiator_resend_due(call, members[0], NOW + 6, offer, 8, &need, &due) ==
              PROSE_ERR_BUFFER_TOO_SMALL && need > 8,
          "short buffer: length needed %zu", need);
    OK(prose_initiator_resend_due(call, members[0], NOW + 6, offer, sizeof offer, &re_len, &due));
    CHECK(due && re_len == need, "the kept re-send handed out");
    {
        prose_member_event ev;
        OK(prose_member_handle(members[1], offer, re_len, NOW + 6, group, sizeof group, &ev));
        CHECK(ev.kind == PROSE_EVENT_RESENT && ev.gsk_id == prose_initiator_gsk_id(call),
              "Resent (kind %d reason %s)", (int)ev.kind, prose_result_str(ev.reason));
    }

    /* Refusals. Garbage: a parse error, no group. */
    {
        prose_member_event ev;
        uint8_t junk[40];
        memset(junk, 0xA5, sizeof junk);
        OK(prose_member_handle(members[1], junk, sizeof junk, NOW, group, sizeof group, &ev));
        CHECK(ev.kind == PROSE_EVENT_REFUSED && ev.reason == PROSE_ERR_PARSE && !ev.has_group &&
                  ev.group_len == 0,
              "garbage refused (kind %d reason %s)", (int)ev.kind, prose_result_str(ev.reason));
        /* The offer named a group: a tiny group buffer gets the full length and a prefix. */
        uint8_t tiny[4];
        OK(prose_member_handle(members[2], offer, re_len, NOW + 60, tiny, sizeof tiny, &ev));
        CHECK(ev.kind == PROSE_EVENT_REFUSED && ev.reason == PROSE_ERR_FRESHNESS &&
                  ev.has_group && ev.group_len == strlen(GROUP) && memcmp(tiny, GROUP, 4) == 0,
              "stale offer refused (kind %d reason %s)", (int)ev.kind,
              prose_result_str(ev.reason));
    }
    /* A GMK from a group the member did not join. */
    {
        prose_key_set *oks = NULL;
        prose_group_manager *other = NULL;
        OK(prose_kms_issue(kms, S(OTHER), no, &oks));
        OK(prose_group_manager_new(S(OTHER), cert, oks, NOW, &other));
        OK(prose_group_manager_add_member(other, S(URIS[1]), NULL));
        uint32_t og = 0;
        OK(prose_group_manager_create_gmk(other, 0, 0, &og));
        prose_notifications *on = NULL;
        OK(prose_group_manager_notifications(other, og, NOW, &on));
        const uint8_t *who = NULL, *msg = NULL;
        size_t who_len = 0, msg_len = 0;
        uint32_t id = 0;
        OK(prose_notifications_get(on, 0, &who, &who_len, &id, &msg, &msg_len));
        prose_member_event ev;
        OK(prose_member_handle(members[1], msg, msg_len, NOW, group, sizeof group, &ev));
        CHECK(ev.kind == PROSE_EVENT_REFUSED && ev.reason == PROSE_ERR_INVALID_PARAMETER,
              "non-joined group refused (kind %d reason %s)", (int)ev.kind,
              prose_result_str(ev.reason));
        uint32_t mg = 0;
        CHECK(prose_member_current_gmk(members[1], S(OTHER), NOW, &mg) == PROSE_ERR_UNKNOWN_KEY,
              "nothing kept for the other group");
        uint8_t buf[64] = {0x80};
        size_t out_len = 0;
        CHECK(prose_member_unprotect_rtp(members[1], S(OTHER), buf, 40, sizeof buf, &out_len) ==
                  PROSE_ERR_UNKNOWN_KEY,
              "no session of a non-joined group");
        prose_notifications_free(on);
        prose_group_manager_free(other);
        prose_key_set_free(oks);
    }
    /* Argument errors. */
    {
        prose_member_event ev;
        CHECK(prose_member_handle(NULL, offer, re_len, NOW, group, sizeof group, &ev) ==
                  PROSE_ERR_NULL_POINTER,
              "NULL member");
        CHECK(prose_member_handle(members[1], NULL, 5, NOW, group, sizeof group, &ev) ==
                  PROSE_ERR_NULL_POINTER,
              "NULL message with a length");
        CHECK(prose_member_handle(members[1], offer, re_len, NOW, group, sizeof group, NULL) ==
                  PROSE_ERR_NULL_POINTER,
              "NULL event");
        CHECK(prose_member_handle(members[1], offer, re_len, NOW, offer + 4, 8, &ev) ==
                  PROSE_ERR_INVALID_PARAMETER,
              "group buffer overlapping the message");
        CHECK(prose_kms_new(S(KMS), 7, 0, 0, &kms) == PROSE_ERR_INVALID_PARAMETER,
              "unknown identifier format");
        CHECK(prose_initiator_protect_rtp(call, pkt, 300, 200, &pkt_len) ==
                  PROSE_ERR_INVALID_PARAMETER,
              "length past the capacity");
        CHECK(prose_group_manager_confirm(gm, S(OTHER), gmk) == PROSE_ERR_INVALID_PARAMETER,
              "confirmation from a non-member");
        CHECK(prose_key_set_from_xml(cert, S("not xml"), (prose_key_set *[1]){0}, 1,
                                     &(size_t){0}) == PROSE_ERR_PARSE,
              "key-prov garbage");
    }

    prose_initiator_free(call);
    for (int i = 0; i < N; i++) prose_member_free(members[i]);
    prose_group_manager_free(gm);
    prose_key_set_free(gks);
    prose_key_set_free(group_ks);
    prose_kms_certificate_free(cert);
    prose_kms_certificate_free(kms_cert);
    prose_kms_free(kms);
    /* NULL is ignored by every free. */
    prose_initiator_free(NULL);
    prose_member_free(NULL);
    prose_group_manager_free(NULL);
    prose_notifications_free(NULL);
    prose_key_set_free(NULL);
    prose_kms_certificate_free(NULL);
    prose_kms_free(NULL);
}

int main(void) {
    chain(PROSE_ID_FORMAT_PROSE);
    chain(PROSE_ID_FORMAT_MCPTT);
    printf("roles: %d checks passed, %d failed\n", passed, failures);
    return failures ? 1 : 0;
}
