/* libsrtp 2 API behaviour, printed: run linked against Debian's libsrtp2 and against this
 * library, the outputs must be identical (packets byte for byte, every status code). Also
 * checks the round trips itself and exits non-zero on a failed check. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

static int failures;
#define CHECK(c)                                                                 \
    do {                                                                         \
        if (!(c)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static unsigned char key[64];

static void hex(const char *label, const unsigned char *p, int n)
{
    printf("%s", label);
    for (int i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int rtp(unsigned char *b, uint16_t seq, uint32_t ssrc, int payload)
{
    b[0] = 0x80;
    b[1] = 0x60;
    b[2] = seq >> 8;
    b[3] = seq & 0xff;
    b[4] = 0; b[5] = 0; b[6] = 0x12; b[7] = 0x34;
    b[8] = ssrc >> 24; b[9] = ssrc >> 16; b[10] = ssrc >> 8; b[11] = ssrc;
    for (int i = 0; i < payload; i++)
        b[12 + i] = (unsigned char)(i * 7 + seq);
    return 12 + payload;
}

static int rtcp(unsigned char *b, uint32_t ssrc)
{
    memset(b, 0, 28);
    b[0] = 0x80; b[1] = 200; b[2] = 0; b[3] = 6;
    b[4] = ssrc >> 24; b[5] = ssrc >> 16; b[6] = ssrc >> 8; b[7] = ssrc;
    for (int i = 8; i < 28; i++)
        b[i] = (unsigned char)i;
    return 28;
}

static void policy(srtp_policy_t *p, void (*set)(srtp_crypto_policy_t *),
                   void (*set_rtcp)(srtp_crypto_policy_t *), int type, uint32_t ssrc)
{
    memset(p, 0, sizeof(*p));
    set(&p->rtp);
    set_rtcp(&p->rtcp);
    p->ssrc.type = type;
    p->ssrc.value = ssrc;
    p->key = key;
    p->window_size = 0;
}

static void presets(void)
{
    struct { const char *n; void (*f)(srtp_crypto_policy_t *); } all[] = {
        {"rtp_default", srtp_crypto_policy_set_rtp_default},
        {"rtcp_default", srtp_crypto_policy_set_rtcp_default},
        {"aes_cm_128_hmac_sha1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32},
        {"aes_cm_128_null_auth", srtp_crypto_policy_set_aes_cm_128_null_auth},
        {"null_cipher_hmac_sha1_80", srtp_crypto_policy_set_null_cipher_hmac_sha1_80},
        {"null_cipher_hmac_null", srtp_crypto_policy_set_null_cipher_hmac_null},
        {"aes_cm_256_hmac_sha1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
        {"aes_cm_256_hmac_sha1_32", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32},
        {"aes_cm_256_null_auth", srtp_crypto_policy_set_aes_cm_256_null_auth},
        {"aes_cm_192_hmac_sha1_80", srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80},
        {"aes_cm_192_hmac_sha1_32", srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32},
        {"aes_cm_192_null_auth", srtp_crypto_policy_set_aes_cm_192_null_auth},
        {"aes_gcm_128_8_auth", srtp_crypto_policy_set_aes_gcm_128_8_auth},
        {"aes_gcm_256_8_auth", srtp_crypto_policy_set_aes_gcm_256_8_auth},
        {"aes_gcm_128_8_only_auth", srtp_crypto_policy_set_aes_gcm_128_8_only_auth},
        {"aes_gcm_256_8_only_auth", srtp_crypto_policy_set_aes_gcm_256_8_only_auth},
        {"aes_gcm_128_16_auth", srtp_crypto_policy_set_aes_gcm_128_16_auth},
        {"aes_gcm_256_16_auth", srtp_crypto_policy_set_aes_gcm_256_16_auth},
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        srtp_crypto_policy_t c;
        memset(&c, 0xee, sizeof(c));
        all[i].f(&c);
        printf("preset %s: %u %d %u %d %d %d\n", all[i].n, c.cipher_type, c.cipher_key_len,
               c.auth_type, c.auth_key_len, c.auth_tag_len, c.sec_serv);
    }
    for (int prof = 0; prof <= 9; prof++) {
        srtp_crypto_policy_t a, b;
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        int ra = srtp_crypto_policy_set_from_profile_for_rtp(&a, prof);
        int rb = srtp_crypto_policy_set_from_profile_for_rtcp(&b, prof);
        printf("profile %d: rtp %d (%u %d %u %d %d %d) rtcp %d (%u %d %u %d %d %d) key %u salt %u\n",
               prof, ra, a.cipher_type, a.cipher_key_len, a.auth_type, a.auth_key_len,
               a.auth_tag_len, a.sec_serv, rb, b.cipher_type, b.cipher_key_len, b.auth_type,
               b.auth_key_len, b.auth_tag_len, b.sec_serv, srtp_profile_get_master_key_length(prof),
               srtp_profile_get_master_salt_length(prof));
    }
}

/* Protect with a sender session, print, unprotect with a receiver; replay and tamper. */
static void round_trip(const char *name, void (*set)(srtp_crypto_policy_t *),
                       void (*set_rtcp)(srtp_crypto_policy_t *))
{
    srtp_policy_t ps, pr;
    srtp_t tx, rx;
    uint32_t ssrc = 0xcafe0001;
    policy(&ps, set, set_rtcp, ssrc_any_outbound, 0);
    policy(&pr, set, set_rtcp, ssrc_any_inbound, 0);
    int s1 = srtp_create(&tx, &ps), s2 = srtp_create(&rx, &pr);
    printf("%s: create %d %d\n", name, s1, s2);
    if (s1 || s2)
        return;
    unsigned char saved[3][256];
    int saved_len[3];
    for (int i = 0; i < 3; i++) {
        unsigned char b[512], orig[512];
        int n = rtp(b, (uint16_t)(65534 + i), ssrc, i == 1 ? 160 : 20);
        memcpy(orig, b, n);
        int plain = n;
        int st = srtp_protect(tx, b, &n);
        printf("%s: protect seq %d -> %d len %d\n", name, 65534 + i, st, n);
        hex("  srtp ", b, n);
        memcpy(saved[i], b, n);
        saved_len[i] = n;
        st = srtp_unprotect(rx, b, &n);
        printf("%s: unprotect %d len %d\n", name, st, n);
        CHECK(st == 0 && n == plain && memcmp(b, orig, n) == 0);
    }
    uint32_t roc = 99;
    int rs = srtp_get_stream_roc(tx, ssrc, &roc);
    printf("%s: roc tx %d %u", name, rs, roc);
    rs = srtp_get_stream_roc(rx, ssrc, &roc);
    printf(" rx %d %u\n", rs, roc);
    /* Replay, tamper, too old. */
    unsigned char b[512];
    int n = saved_len[2];
    memcpy(b, saved[2], n);
    printf("%s: replay %d\n", name, srtp_unprotect(rx, b, &n));
    n = rtp(b, 5, ssrc, 20);
    srtp_protect(tx, b, &n);
    unsigned char t[512];
    memcpy(t, b, n);
    t[20] ^= 1;
    int tn = n;
    /* (libsrtp may leave a refused GCM packet decrypted: compare only the status.) */
    printf("%s: tampered %d\n", name, srtp_unprotect(rx, t, &tn));
    printf("%s: untampered %d\n", name, srtp_unprotect(rx, b, &n));
    n = saved_len[0];
    memcpy(b, saved[0], n);
    printf("%s: old replay %d\n", name, srtp_unprotect(rx, b, &n));
    /* Sending an index already sent. */
    n = rtp(b, 65535, ssrc, 20);
    printf("%s: repeat tx %d\n", name, srtp_protect(tx, b, &n));
    /* RTCP both ways. */
    for (int i = 0; i < 2; i++) {
        unsigned char c[256], o[256];
        int m = rtcp(c, ssrc), plain = m;
        memcpy(o, c, m);
        int st = srtp_protect_rtcp(tx, c, &m);
        printf("%s: protect_rtcp %d len %d\n", name, st, m);
        hex("  srtcp ", c, m);
        unsigned char copy[256];
        int cm = m;
        memcpy(copy, c, m);
        st = srtp_unprotect_rtcp(rx, c, &m);
        printf("%s: unprotect_rtcp %d len %d\n", name, st, m);
        CHECK(st == 0 && m == plain && memcmp(c, o, m) == 0);
        printf("%s: rtcp replay %d\n", name, srtp_unprotect_rtcp(rx, copy, &cm));
    }
    uint32_t tl = 0;
    printf("%s: trailer %d", name, srtp_get_protect_trailer_length(tx, 0, 0, &tl));
    printf(" %u", tl);
    printf(" rtcp %d", srtp_get_protect_rtcp_trailer_length(tx, 0, 0, &tl));
    printf(" %u\n", tl);
    srtp_dealloc(tx);
    srtp_dealloc(rx);
}

static void streams(void)
{
    srtp_policy_t p, q;
    srtp_t s, r;
    unsigned char b[512];
    int n;
    /* Specific SSRC only: another SSRC has no stream. */
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_specific, 0x11223344);
    printf("specific: create %d\n", srtp_create(&s, &p));
    n = rtp(b, 1, 0x55667788, 20);
    printf("specific: other ssrc %d\n", srtp_protect(s, b, &n));
    n = rtp(b, 1, 0x11223344, 20);
    printf("specific: own ssrc %d len %d\n", srtp_protect(s, b, &n), n);
    hex("  srtp ", b, n);
    /* remove_stream takes network byte order in 2.x. */
    printf("specific: remove host order %d\n", srtp_remove_stream(s, 0x11223344));
    printf("specific: remove network order %d\n", srtp_remove_stream(s, htonl(0x11223344)));
    n = rtp(b, 2, 0x11223344, 20);
    printf("specific: after remove %d\n", srtp_protect(s, b, &n));
    printf("specific: remove again %d\n", srtp_remove_stream(s, htonl(0x11223344)));
    /* A second template is refused; a list of policies. */
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_any_outbound, 0);
    printf("template: add %d\n", srtp_add_stream(s, &p));
    printf("template: second %d\n", srtp_add_stream(s, &p));
    p.ssrc.type = ssrc_undefined;
    printf("undefined ssrc type: %d\n", srtp_add_stream(s, &p));
    srtp_dealloc(s);

    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_specific, 0xaaaa0001);
    policy(&q, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtcp_default,
           ssrc_specific, 0xaaaa0002);
    p.next = &q;
    printf("list: create %d\n", srtp_create(&s, &p));
    q.ssrc.type = ssrc_any_inbound;
    p.next = NULL;
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_specific, 0xaaaa0001);
    p.next = &q;
    printf("list: receiver %d\n", srtp_create(&r, &p));
    for (uint32_t ssrc = 0xaaaa0001; ssrc <= 0xaaaa0002; ssrc++) {
        n = rtp(b, 7, ssrc, 30);
        printf("list: protect %08x %d len %d\n", ssrc, srtp_protect(s, b, &n), n);
        hex("  srtp ", b, n);
        printf("list: unprotect %d len %d\n", srtp_unprotect(r, b, &n), n);
    }
    n = rtp(b, 7, 0xaaaa0003, 30);
    printf("list: unknown ssrc %d\n", srtp_protect(s, b, &n));
    srtp_dealloc(s);
    srtp_dealloc(r);

    /* Window sizes. */
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_any_outbound, 0);
    unsigned long ws[] = {0, 63, 64, 128, 1024, 0x8000};
    for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
        p.window_size = ws[i];
        int st = srtp_create(&s, &p);
        printf("window %lu: %d\n", ws[i], st);
        if (st == 0)
            srtp_dealloc(s);
    }
    p.window_size = 0;
    p.allow_repeat_tx = 2;
    printf("allow_repeat_tx 2: %d\n", srtp_create(&s, &p));
    /* allow_repeat_tx. */
    for (int allow = 0; allow <= 1; allow++) {
        p.allow_repeat_tx = allow;
        srtp_create(&s, &p);
        unsigned char a1[512], a2[512];
        int n1 = rtp(a1, 40, 0x1234, 50), n2 = rtp(a2, 40, 0x1234, 50);
        int s1 = srtp_protect(s, a1, &n1);
        int s2 = srtp_protect(s, a2, &n2);
        printf("allow_repeat_tx %d: %d %d same %d\n", allow, s1, s2,
               s2 == 0 && n1 == n2 && memcmp(a1, a2, n1) == 0);
        srtp_dealloc(s);
    }
    /* User data. */
    srtp_create(&s, NULL);
    int tag;
    printf("user data empty %d\n", srtp_get_user_data(s) == NULL);
    srtp_set_user_data(s, &tag);
    printf("user data %d\n", srtp_get_user_data(s) == &tag);
    printf("empty session: protect %d\n", (n = rtp(b, 1, 1, 10), srtp_protect(s, b, &n)));
    srtp_dealloc(s);
}

static void roc(void)
{
    srtp_policy_t p;
    srtp_t s, r;
    unsigned char b[512];
    int n;
    uint32_t v = 7;
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_specific, 0x0badf00d);
    srtp_create(&s, &p);
    srtp_create(&r, &p);
    printf("roc: unknown get %d\n", srtp_get_stream_roc(s, 0x12345678, &v));
    printf("roc: unknown set %d\n", srtp_set_stream_roc(s, 0x12345678, 3));
    printf("roc: set %d %d\n", srtp_set_stream_roc(s, 0x0badf00d, 5),
           srtp_set_stream_roc(r, 0x0badf00d, 5));
    for (int seq = 100; seq < 103; seq++) {
        n = rtp(b, seq, 0x0badf00d, 40);
        printf("roc: protect %d len %d\n", srtp_protect(s, b, &n), n);
        hex("  srtp ", b, n);
        printf("roc: unprotect %d\n", srtp_unprotect(r, b, &n));
    }
    printf("roc: get %d", srtp_get_stream_roc(s, 0x0badf00d, &v));
    printf(" %u", v);
    printf(" %d", srtp_get_stream_roc(r, 0x0badf00d, &v));
    printf(" %u\n", v);
    srtp_dealloc(s);
    srtp_dealloc(r);
}

static void mki(void)
{
    unsigned char k1[46], k2[46], m1[] = {0xa1, 0xa2}, m2[] = {0xb1, 0xb2};
    for (int i = 0; i < 46; i++) {
        k1[i] = (unsigned char)(i + 1);
        k2[i] = (unsigned char)(200 - i);
    }
    srtp_master_key_t mk1 = {k1, m1, 2}, mk2 = {k2, m2, 2};
    srtp_master_key_t *keys[] = {&mk1, &mk2};
    void (*sets[])(srtp_crypto_policy_t *) = {srtp_crypto_policy_set_rtp_default,
                                              srtp_crypto_policy_set_aes_gcm_128_16_auth};
    for (int g = 0; g < 2; g++) {
        srtp_policy_t p;
        srtp_t s, r;
        policy(&p, sets[g], sets[g], ssrc_any_outbound, 0);
        p.key = NULL;
        p.keys = keys;
        p.num_master_keys = 2;
        printf("mki %d: create %d", g, srtp_create(&s, &p));
        p.ssrc.type = ssrc_any_inbound;
        printf(" %d\n", srtp_create(&r, &p));
        for (unsigned idx = 0; idx < 3; idx++) {
            unsigned char b[512];
            int n = rtp(b, (uint16_t)(10 + idx), 0x77, 33);
            int st = srtp_protect_mki(s, b, &n, 1, idx);
            printf("mki %d: protect index %u: %d len %d\n", g, idx, st, n);
            if (st)
                continue;
            hex("  srtp ", b, n);
            printf("mki %d: unprotect %d len %d\n", g, srtp_unprotect_mki(r, b, &n, 1), n);
            unsigned char c[256];
            int m = rtcp(c, 0x77);
            st = srtp_protect_rtcp_mki(s, c, &m, 1, idx);
            printf("mki %d: protect_rtcp %d len %d\n", g, st, m);
            hex("  srtcp ", c, m);
            printf("mki %d: unprotect_rtcp %d len %d\n", g, srtp_unprotect_rtcp_mki(r, c, &m, 1), m);
        }
        unsigned char b[512];
        int n = rtp(b, 50, 0x77, 33);
        srtp_protect_mki(s, b, &n, 1, 1);
        b[n - (g ? 1 : 11)] ^= 0xff; /* unknown MKI */
        printf("mki %d: unknown mki %d\n", g, srtp_unprotect_mki(r, b, &n, 1));
        uint32_t tl = 0;
        printf("mki %d: trailer %d", g, srtp_get_protect_trailer_length(s, 1, 0, &tl));
        printf(" %u\n", tl);
        srtp_dealloc(s);
        srtp_dealloc(r);
    }
}

static void update(void)
{
    srtp_policy_t p;
    srtp_t s, r;
    unsigned char b[512];
    int n;
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_specific, 0x5150);
    srtp_create(&s, &p);
    srtp_create(&r, &p);
    for (int seq = 65530; seq < 65536 + 3; seq++) {
        n = rtp(b, (uint16_t)seq, 0x5150, 20);
        srtp_protect(s, b, &n);
        srtp_unprotect(r, b, &n);
    }
    unsigned char old = key[0];
    key[0] ^= 0x5a;
    printf("update: %d %d\n", srtp_update(s, &p), srtp_update_stream(r, &p));
    uint32_t v = 0;
    srtp_get_stream_roc(s, 0x5150, &v);
    printf("update: roc %u\n", v);
    n = rtp(b, 3, 0x5150, 20);
    printf("update: protect %d len %d\n", srtp_protect(s, b, &n), n);
    hex("  srtp ", b, n);
    printf("update: unprotect %d\n", srtp_unprotect(r, b, &n));
    p.ssrc.value = 0x9999;
    printf("update: unknown stream %d\n", srtp_update_stream(s, &p));
    key[0] = old;
    srtp_dealloc(s);
    srtp_dealloc(r);

    /* Templates: the SSRCs that went through them keep their ROC across the update. */
    policy(&p, srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
           ssrc_any_outbound, 0);
    srtp_create(&s, &p);
    p.ssrc.type = ssrc_any_inbound;
    srtp_create(&r, &p);
    for (uint32_t ssrc = 0x700; ssrc < 0x702; ssrc++)
        for (int seq = 65533; seq < 65536 + 2; seq++) {
            n = rtp(b, (uint16_t)seq, ssrc, 20);
            srtp_protect(s, b, &n);
            srtp_unprotect(r, b, &n);
        }
    key[1] ^= 0x33;
    p.ssrc.type = ssrc_any_outbound;
    printf("update template: %d", srtp_update(s, &p));
    p.ssrc.type = ssrc_any_inbound;
    printf(" %d\n", srtp_update(r, &p));
    for (uint32_t ssrc = 0x700; ssrc < 0x703; ssrc++) {
        n = rtp(b, 9, ssrc, 20);
        printf("update template: protect %x %d len %d\n", ssrc, srtp_protect(s, b, &n), n);
        hex("  srtp ", b, n);
        printf("update template: unprotect %d\n", srtp_unprotect(r, b, &n));
    }
    p.ssrc.type = ssrc_specific;
    p.ssrc.value = 0x700;
    key[2] ^= 0x44;
    printf("update template: as specific %d %d\n", srtp_update_stream(s, &p), srtp_update_stream(r, &p));
    for (uint32_t ssrc = 0x700; ssrc < 0x702; ssrc++) {
        n = rtp(b, 10, ssrc, 20);
        printf("update template: after %x %d len %d\n", ssrc, srtp_protect(s, b, &n), n);
        hex("  srtp ", b, n);
        printf("update template: unprotect %d\n", srtp_unprotect(r, b, &n));
    }
    uint32_t v2 = 0;
    printf("update template: roc %d", srtp_get_stream_roc(s, 0x700, &v2));
    printf(" %u\n", v2);
    key[2] ^= 0x44;
    key[1] ^= 0x33;
    srtp_dealloc(s);
    srtp_dealloc(r);
}

int main(void)
{
    for (int i = 0; i < 64; i++)
        key[i] = (unsigned char)(0x30 + i * 3);
    printf("init %d\n", srtp_init());
    presets();
    round_trip("aes128_80", srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default);
    round_trip("aes128_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtcp_default);
    round_trip("aes256_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80);
    round_trip("aes256_32", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80);
    round_trip("null_80", srtp_crypto_policy_set_null_cipher_hmac_sha1_80, srtp_crypto_policy_set_null_cipher_hmac_sha1_80);
    round_trip("gcm128", srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth);
    round_trip("gcm256", srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth);
    round_trip("aes128_80_rtcp_null", srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_null_cipher_hmac_sha1_80);
    streams();
    roc();
    mki();
    update();
    printf("shutdown %d\n", srtp_shutdown());
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}
