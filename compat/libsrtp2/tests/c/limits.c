/* This library's own checks: the key-usage soft- and hard-limit events (with a lowered limit,
 * set through the library's one extension), the log handler, the version, the exported
 * cipher-type objects, and the libsrtp error codes for what the engine does not support. */
#include <stdio.h>
#include <string.h>
#include <srtp2/srtp.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>

srtp_err_status_t prose_srtp2_set_rtp_key_limit(uint64_t packets);
extern const srtp_cipher_type_t srtp_aes_icm_192, srtp_aes_gcm_128_openssl, srtp_aes_gcm_256_openssl;
extern const srtp_auth_type_t srtp_hmac;

static int failures;
#define CHECK(c)                                                                 \
    do {                                                                         \
        if (!(c)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static int soft, hard, collisions, logs;
static uint32_t event_ssrc;
static srtp_t event_session;

static int user_tag;
static int user_data_seen;

static void on_event(srtp_event_data_t *d)
{
    /* As GStreamer's handler does: back into the library with the event's session. */
    if (srtp_get_user_data(d->session) == &user_tag)
        user_data_seen++;
    event_ssrc = d->ssrc;
    event_session = d->session;
    if (d->event == event_key_soft_limit)
        soft++;
    else if (d->event == event_key_hard_limit)
        hard++;
    else if (d->event == event_ssrc_collision)
        collisions++;
}

static void on_log(srtp_log_level_t level, const char *msg, void *data)
{
    (void)level;
    CHECK(data == &logs);
    CHECK(strlen(msg) > 0);
    logs++;
}

static unsigned char key[64];

static int rtp(unsigned char *b, uint16_t seq, uint32_t ssrc)
{
    memset(b, 0, 32);
    b[0] = 0x80; b[2] = seq >> 8; b[3] = seq;
    b[8] = ssrc >> 24; b[9] = ssrc >> 16; b[10] = ssrc >> 8; b[11] = ssrc;
    return 32;
}

static srtp_err_status_t create_with(srtp_t *s, void (*set)(srtp_crypto_policy_t *), int type)
{
    srtp_policy_t p;
    memset(&p, 0, sizeof(p));
    set(&p.rtp);
    srtp_crypto_policy_set_rtcp_default(&p.rtcp);
    p.ssrc.type = type;
    p.key = key;
    return srtp_create(s, &p);
}

int main(void)
{
    CHECK(srtp_init() == srtp_err_status_ok);
    CHECK(srtp_get_version() == 0x02050000);
    CHECK(strncmp(srtp_get_version_string(), "libsrtp2 2.5.0", 14) == 0);
    CHECK(srtp_aes_icm_192.id == SRTP_AES_ICM_192);
    CHECK(srtp_aes_gcm_128_openssl.id == SRTP_AES_GCM_128);
    CHECK(srtp_aes_gcm_256_openssl.id == SRTP_AES_GCM_256);
    CHECK(srtp_hmac.id == SRTP_HMAC_SHA1);
    CHECK(srtp_aes_icm_192.alloc(NULL, 38, 0) == srtp_err_status_no_such_op);
    CHECK(srtp_install_event_handler(on_event) == srtp_err_status_ok);
    CHECK(srtp_install_log_handler(on_log, &logs) == srtp_err_status_ok);

    /* Key limits: 100 packets, soft event at 50, hard at the 101st. */
    CHECK(prose_srtp2_set_rtp_key_limit(100) == srtp_err_status_ok);
    srtp_t tx, rx;
    CHECK(create_with(&tx, srtp_crypto_policy_set_rtp_default, ssrc_any_outbound) == 0);
    CHECK(create_with(&rx, srtp_crypto_policy_set_rtp_default, ssrc_any_inbound) == 0);
    srtp_set_user_data(tx, &user_tag);
    srtp_set_user_data(rx, &user_tag);
    unsigned char b[256];
    int n, last = 0;
    for (int i = 0; i < 100; i++) {
        n = rtp(b, (uint16_t)i, 0xfeed);
        last = srtp_protect(tx, b, &n);
        CHECK(last == srtp_err_status_ok);
        CHECK(srtp_unprotect(rx, b, &n) == srtp_err_status_ok);
        if (i == 48)
            CHECK(soft == 0);
        if (i == 49)
            CHECK(soft == 2); /* sender and receiver */
    }
    CHECK(soft == 2 && hard == 0);
    CHECK(event_ssrc == 0xfeed);
    CHECK(event_session == rx);
    n = rtp(b, 100, 0xfeed);
    CHECK(srtp_protect(tx, b, &n) == srtp_err_status_key_expired);
    CHECK(hard == 1 && soft == 2);
    CHECK(user_data_seen == 3);
    CHECK(logs >= 3);
    srtp_dealloc(tx);
    srtp_dealloc(rx);
    CHECK(prose_srtp2_set_rtp_key_limit(0) == srtp_err_status_ok);
    CHECK(prose_srtp2_set_rtp_key_limit((1ull << 48) + 1) == srtp_err_status_bad_param);

    /* A stream used both ways: libsrtp's SSRC-collision event. */
    CHECK(create_with(&tx, srtp_crypto_policy_set_rtp_default, ssrc_any_outbound) == 0);
    n = rtp(b, 1, 0xabc);
    srtp_protect(tx, b, &n);
    srtp_unprotect(tx, b, &n);
    CHECK(collisions == 1);
    srtp_dealloc(tx);

    /* What the engine does not do: libsrtp's bad_param, and a log line. */
    int before = logs;
    srtp_t s;
    CHECK(create_with(&s, srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80, ssrc_any_outbound) == srtp_err_status_bad_param);
    CHECK(create_with(&s, srtp_crypto_policy_set_aes_gcm_128_8_auth, ssrc_any_outbound) == srtp_err_status_bad_param);
    CHECK(create_with(&s, srtp_crypto_policy_set_aes_gcm_256_8_only_auth, ssrc_any_outbound) == srtp_err_status_bad_param);
    CHECK(create_with(&s, srtp_crypto_policy_set_aes_cm_128_null_auth, ssrc_any_outbound) == srtp_err_status_bad_param);
    CHECK(create_with(&s, srtp_crypto_policy_set_null_cipher_hmac_null, ssrc_any_outbound) == srtp_err_status_bad_param);
    CHECK(logs == before + 5);
    srtp_policy_t p;
    memset(&p, 0, sizeof(p));
    srtp_crypto_policy_set_rtp_default(&p.rtp);
    srtp_crypto_policy_set_rtp_default(&p.rtcp);
    p.ssrc.type = ssrc_any_outbound;
    p.key = key;
    int ids[] = {1};
    p.enc_xtn_hdr = ids;
    p.enc_xtn_hdr_count = 1;
    CHECK(srtp_create(&s, &p) == srtp_err_status_bad_param);
    p.enc_xtn_hdr = NULL;
    p.enc_xtn_hdr_count = 0;
    p.window_size = 8192;
    CHECK(srtp_create(&s, &p) == srtp_err_status_bad_param);
    p.window_size = 4096;
    CHECK(srtp_create(&s, &p) == srtp_err_status_ok);
    srtp_dealloc(s);
    /* An SRTCP policy the engine lacks (32-bit SRTCP tag): SRTP works, SRTCP is refused. */
    p.window_size = 0;
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtcp);
    CHECK(srtp_create(&s, &p) == srtp_err_status_ok);
    n = rtp(b, 1, 0x42);
    CHECK(srtp_protect(s, b, &n) == srtp_err_status_ok);
    unsigned char c[64] = {0x80, 200, 0, 1, 0, 0, 0, 0x42};
    n = 8;
    CHECK(srtp_protect_rtcp(s, c, &n) == srtp_err_status_bad_param);
    srtp_dealloc(s);
    /* MKIs longer than 4 octets. */
    unsigned char mki[5] = {1, 2, 3, 4, 5};
    srtp_master_key_t mk = {key, mki, 5}, *mks[] = {&mk};
    srtp_crypto_policy_set_rtp_default(&p.rtcp);
    p.key = NULL;
    p.keys = mks;
    p.num_master_keys = 1;
    CHECK(srtp_create(&s, &p) == srtp_err_status_bad_param);
    mk.mki_size = 4;
    CHECK(srtp_create(&s, &p) == srtp_err_status_ok);
    n = rtp(b, 1, 0x42);
    CHECK(srtp_protect_mki(s, b, &n, 0, 0) == srtp_err_status_bad_mki);
    CHECK(srtp_protect_mki(s, b, &n, 1, 0) == srtp_err_status_ok && n == 32 + 4 + 10);
    srtp_dealloc(s);
    /* NULL arguments. */
    CHECK(srtp_create(NULL, NULL) == srtp_err_status_bad_param);
    CHECK(srtp_protect(NULL, b, &n) == srtp_err_status_bad_param);
    CHECK(srtp_dealloc(NULL) == srtp_err_status_bad_param);

    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("limits: all checks passed\n");
    return failures ? 1 : 0;
}
