/* The GMK -> GSK -> SRTP chain through the C ABI alone: a KMS provisions a Group Manager, an
 * initiator (Alice) and a member (Bob); the Group Manager sends each a GMK in a MIKEY-SAKKE
 * I_MESSAGE; Alice offers a GSK in SDP, signed; Bob accepts it and the two exchange SRTP. */
#include <prose_sec.h>

#include <stdio.h>
#include <string.h>

#include "check.h"
#define OK(call) CHECK((call) == PROSE_OK, "%s", #call)
#define S(str) (const uint8_t *)(str), strlen(str)

static const char *GROUP = "sip:group7@example.org", *ALICE = "sip:alice@example.org",
                  *BOB = "sip:bob@example.org", *KMS = "kms.example.org";

struct party {
    uint8_t id[256];
    size_t id_len;
    prose_eccsi_signing_key *signer;
    prose_sakke_decapsulation_key *dk;
    prose_gmk_store *store;
};

static void provision(struct party *p, const char *uri, uint64_t now, prose_sakke_kms_secret *z,
                      prose_sakke_kms_public *zpub, prose_eccsi_ksak *ksak,
                      prose_eccsi_kpak *kpak) {
    memset(p, 0, sizeof *p);
    OK(prose_mikey_prose_identifier(S(uri), now, p->id, sizeof p->id, &p->id_len));
    uint8_t ssk[PROSE_ECCSI_SCALAR_LEN], pvt[PROSE_ECCSI_POINT_LEN];
    OK(prose_eccsi_ksak_issue(ksak, p->id, p->id_len, ssk, sizeof ssk, pvt, sizeof pvt));
    OK(prose_eccsi_signing_key_new(kpak, p->id, p->id_len, ssk, sizeof ssk, pvt, sizeof pvt,
                                   &p->signer));
    prose_sakke_rsk *rsk = NULL;
    OK(prose_sakke_kms_secret_issue_rsk(z, p->id, p->id_len, &rsk));
    OK(prose_sakke_rsk_validate(zpub, p->id, p->id_len, rsk));
    OK(prose_sakke_decapsulation_key_new(zpub, p->id, p->id_len, rsk, &p->dk));
    prose_sakke_rsk_free(rsk);
    OK(prose_gmk_store_new(0, &p->store));
}

static void release(struct party *p) {
    prose_eccsi_signing_key_free(p->signer);
    prose_sakke_decapsulation_key_free(p->dk);
    prose_gmk_store_free(p->store);
}

int main(void) {
    uint64_t now = prose_ntp_now();
    CHECK(now > 3900000000u, "ntp now %llu", (unsigned long long)now);

    /* Fresh keys and identifiers from the library's OS random source. */
    {
        uint8_t g1[16], g2[16], key[32], salt[14];
        uint32_t id1 = 0xffffffffu, id2 = 0, gsk_id = 0;
        size_t kl = 0, sl = 0;
        OK(prose_generate_gmk(g1, sizeof g1, &id1));
        OK(prose_generate_gmk(g2, sizeof g2, NULL));
        CHECK(memcmp(g1, g2, 16) != 0, "two fresh GMKs differ");
        CHECK((id1 & 0xf0000000u) == 0, "GMK-ID purpose tag 0: %08x", id1);
        CHECK(prose_generate_gmk(g1, 15, &id2) == PROSE_ERR_BUFFER_TOO_SMALL, "short GMK buffer");
        OK(prose_generate_gsk(1, key, sizeof key, &kl, salt, sizeof salt, &sl, &gsk_id));
        CHECK(kl == 16 && sl == 14, "AES-CM-128 GSK and salt lengths %zu %zu", kl, sl);
        CHECK(prose_generate_gsk(0xffff, key, sizeof key, &kl, salt, sizeof salt, &sl, NULL) !=
                  PROSE_OK,
              "unknown profile refused");
    }

    /* KMS. */
    prose_sakke_kms_secret *z = NULL;
    prose_sakke_kms_public *zpub = NULL;
    prose_eccsi_ksak *ksak = NULL;
    prose_eccsi_kpak *kpak = NULL;
    OK(prose_sakke_kms_secret_generate(&z));
    OK(prose_sakke_kms_secret_public(z, &zpub));
    OK(prose_eccsi_ksak_generate(&ksak));
    OK(prose_eccsi_ksak_kpak(ksak, &kpak));

    struct party gm, alice, bob;
    provision(&gm, GROUP, now, z, zpub, ksak, kpak);
    provision(&alice, ALICE, now, z, zpub, ksak, kpak);
    provision(&bob, BOB, now, z, zpub, ksak, kpak);

    /* Group Manager -> Alice and Bob: the GMK. */
    const uint8_t gmk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const uint32_t gmk_id = 0x0badcafe;
    uint8_t msg[2048];
    size_t msg_len = 0;
    struct party *members[2] = {&alice, &bob};
    const char *uris[2] = {ALICE, BOB};
    for (int i = 0; i < 2; i++) {
        OK(prose_mikey_gmk_build(zpub, gm.signer, S(GROUP), S(uris[i]), S(KMS), gmk_id, now, gmk,
                                 sizeof gmk, msg, sizeof msg, &msg_len));
        uint32_t got = 0;
        /* Wrong group: refused, store unchanged. */
        CHECK(prose_gmk_store_process(members[i]->store, kpak, members[i]->dk, S(uris[i]),
                                      S("sip:other@example.org"), now, msg, msg_len, &got) != PROSE_OK,
              "wrong group accepted");
        OK(prose_gmk_store_process(members[i]->store, kpak, members[i]->dk, S(uris[i]), S(GROUP),
                                   now, msg, msg_len, &got));
        CHECK(got == gmk_id, "gmk id %08x", got);
        uint8_t cur[16];
        OK(prose_gmk_store_current(members[i]->store, (const uint8_t *)GROUP, strlen(GROUP), now,
                                   &got, cur, sizeof cur));
        CHECK(prose_gmk_store_current(members[i]->store, (const uint8_t *)ALICE, strlen(ALICE), now,
                                      &got, cur, sizeof cur) == PROSE_ERR_UNKNOWN_KEY,
              "no current gmk for another group");
        CHECK(memcmp(cur, gmk, 16) == 0 && got == gmk_id, "current gmk");
    }
    /* Bob cannot open Alice's message. */
    OK(prose_mikey_gmk_build(zpub, gm.signer, S(GROUP), S(ALICE), S(KMS), gmk_id, now, gmk,
                             sizeof gmk, msg, sizeof msg, &msg_len));
    {
        uint32_t got = 0;
        CHECK(prose_gmk_store_process(bob.store, kpak, bob.dk, S(BOB), S(GROUP), now, msg, msg_len,
                                      &got) != PROSE_OK,
              "bob opened alice's GMK message");
        char text[4096];
        size_t text_len = 0;
        OK(prose_mikey_decode_text(msg, msg_len, (uint8_t *)text, sizeof text, &text_len));
        CHECK(strncmp(text, "HDR data_type=26", 16) == 0 && strstr(text, "SAKKE") != NULL,
              "decode: %s", text);
    }

    /* Alice offers a GSK in SDP, signed. */
    const uint8_t gsk[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                             0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    const uint8_t salt[14] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
                              0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd};
    const uint32_t gsk_id = 0x11223344, ssrc = 0xdeadbeef, roc = 2;
    OK(prose_mikey_gsk_offer_build(alice.store, gmk_id, S(ALICE), S(GROUP), 1, gsk, sizeof gsk,
                                   salt, sizeof salt, gsk_id, &ssrc, &roc, 1, now, alice.signer,
                                   msg, sizeof msg, &msg_len));
    char sdp[4096];
    size_t line_len = 0;
    int head = snprintf(sdp, sizeof sdp, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n");
    OK(prose_sdp_key_mgmt_format(msg, msg_len, (uint8_t *)sdp + head, sizeof sdp - (size_t)head,
                                 &line_len));
    snprintf(sdp + head + line_len, sizeof sdp - (size_t)head - line_len,
             "\r\nm=audio 5004 RTP/SAVP 96\r\n");

    /* Bob: SDP -> offer -> keying -> SRTP session. */
    uint8_t offer[2048];
    size_t offer_len = 0;
    OK(prose_sdp_key_mgmt_parse((const uint8_t *)sdp, strlen(sdp), offer, sizeof offer,
                                &offer_len));
    CHECK(offer_len == msg_len && memcmp(offer, msg, msg_len) == 0, "sdp round trip");
    prose_gsk_receiver *rx = NULL;
    OK(prose_gsk_receiver_new(0, true, S(GROUP), &rx));
    uint8_t bad[2048];
    memcpy(bad, offer, offer_len);
    bad[40] ^= 1;
    prose_srtp_keying *keying = NULL;
    CHECK(prose_gsk_receiver_process(rx, bob.store, kpak, now, bad, offer_len, &keying) !=
                  PROSE_OK &&
              keying == NULL,
          "tampered offer accepted");
    CHECK(prose_gsk_receiver_process(rx, bob.store, NULL, now, offer, offer_len, &keying) ==
              PROSE_ERR_INVALID_SIGNATURE,
          "signed offer accepted without a KPAK");
    OK(prose_gsk_receiver_process(rx, bob.store, kpak, now, offer, offer_len, &keying));
    CHECK(prose_srtp_keying_profile(keying) == 1, "profile");
    uint8_t k[32], s[14], mki[8];
    size_t kl = 0, sl = 0, ml = 0;
    OK(prose_srtp_keying_get(keying, k, sizeof k, &kl, s, sizeof s, &sl, mki, sizeof mki, &ml));
    CHECK(kl == 16 && memcmp(k, gsk, 16) == 0 && sl == 14 && memcmp(s, salt, 14) == 0 && ml == 4 &&
              mki[0] == 0x11 && mki[3] == 0x44,
          "keying contents");
    prose_srtp_session *bob_rx = NULL, *alice_tx = NULL;
    OK(prose_srtp_session_from_keying(keying, &bob_rx));
    uint32_t got_roc = 0;
    OK(prose_srtp_session_get_roc(bob_rx, ssrc, &got_roc));
    CHECK(got_roc == roc, "late joiner roc %u", got_roc);

    /* Alice's sender with the same GSK, MKI = GSK-ID. */
    const uint8_t mki_be[4] = {0x11, 0x22, 0x33, 0x44};
    OK(prose_srtp_session_new(1, gsk, sizeof gsk, salt, sizeof salt, mki_be, 4, 0, 0, &alice_tx));
    OK(prose_srtp_session_set_roc(alice_tx, ssrc, roc));
    for (uint32_t seq = 65533; seq < 65540; seq++) {
        uint8_t pkt[256] = {0x80, 0x60, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0,
                            0xde, 0xad, 0xbe, 0xef};
        for (int i = 12; i < 172; i++) pkt[i] = (uint8_t)(i + seq);
        uint8_t plain[172];
        memcpy(plain, pkt, sizeof plain);
        size_t n = 0, m = 0;
        OK(prose_srtp_session_protect_rtp(alice_tx, pkt, 172, sizeof pkt, &n));
        CHECK(n == 172 + 4 + 10, "srtp length %zu", n);
        OK(prose_srtp_session_unprotect_rtp(bob_rx, pkt, n, sizeof pkt, &m));
        CHECK(m == 172 && memcmp(pkt, plain, 172) == 0, "srtp payload");
    }
    OK(prose_srtp_session_get_roc(bob_rx, ssrc, &got_roc));
    CHECK(got_roc == roc + 1, "roc after rollover %u", got_roc);

    prose_srtp_session_free(alice_tx);
    prose_srtp_session_free(bob_rx);
    prose_srtp_keying_free(keying);
    prose_gsk_receiver_free(rx);
    release(&gm);
    release(&alice);
    release(&bob);
    prose_eccsi_kpak_free(kpak);
    prose_eccsi_ksak_free(ksak);
    prose_sakke_kms_public_free(zpub);
    prose_sakke_kms_secret_free(z);
    printf("%d passed, %d failed\n", passed, failures);
    return failures == 0 ? 0 : 1;
}
