/* SRTP interop through the C ABI alone: prose-sec protects and libsrtp2 unprotects, and back,
 * for every profile both libraries share, several payload sizes, SRTP and SRTCP, in one process.
 * Also checks the error paths of the C ABI (NULL pointers, short buffers, tampering, replay). */
#include <prose_sec.h>
#include <srtp2/srtp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct profile {
    const char *name;
    uint16_t id;
    size_t key_len, salt_len;
    void (*rtp)(srtp_crypto_policy_t *);
    void (*rtcp)(srtp_crypto_policy_t *);
};

/* libsrtp2 defines the AES-128 setter as a macro; wrap it to take its address. */
static void set_aes_cm_128_80(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_rtp_default(p); }

static const struct profile PROFILES[] = {
    {"AES_CM_128_HMAC_SHA1_80", 1, 16, 14, set_aes_cm_128_80,
     set_aes_cm_128_80},
    {"AES_CM_128_HMAC_SHA1_32", 2, 16, 14, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
     set_aes_cm_128_80},
    {"AES_256_CM_HMAC_SHA1_80", 3, 32, 14, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AES_256_CM_HMAC_SHA1_32", 4, 32, 14, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"NULL_HMAC_SHA1_80", 5, 16, 14, srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
     srtp_crypto_policy_set_null_cipher_hmac_sha1_80},
    {"AEAD_AES_128_GCM", 7, 16, 12, srtp_crypto_policy_set_aes_gcm_128_16_auth,
     srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {"AEAD_AES_256_GCM", 8, 32, 12, srtp_crypto_policy_set_aes_gcm_256_16_auth,
     srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

enum { CAP = 1600 };

static size_t rtp_packet(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload) {
    buf[0] = 0x80;
    buf[1] = 0x60;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    memset(buf + 4, 0, 4);
    buf[4] = (uint8_t)(seq >> 3);
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    for (size_t i = 0; i < payload; i++) buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 12 + payload;
}

static size_t rtcp_packet(uint8_t *buf, uint32_t ssrc) {
    /* Receiver report with no report blocks, then padding-free SDES-like filler: 8 + 20. */
    memset(buf, 0, 28);
    buf[0] = 0x80;
    buf[1] = 201;
    buf[3] = 6; /* length in 32-bit words minus one */
    buf[4] = (uint8_t)(ssrc >> 24);
    buf[5] = (uint8_t)(ssrc >> 16);
    buf[6] = (uint8_t)(ssrc >> 8);
    buf[7] = (uint8_t)ssrc;
    for (int i = 8; i < 28; i++) buf[i] = (uint8_t)(i * 3);
    return 28;
}

static srtp_t libsrtp_session(const struct profile *p, const uint8_t *key_salt, int outbound) {
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    p->rtp(&policy.rtp);
    p->rtcp(&policy.rtcp);
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = (unsigned char *)key_salt;
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    srtp_t s = NULL;
    srtp_err_status_t st = srtp_create(&s, &policy);
    CHECK(st == srtp_err_status_ok, "srtp_create %s: %d", p->name, (int)st);
    return s;
}

static void interop(const struct profile *p) {
    uint8_t key_salt[46];
    for (size_t i = 0; i < sizeof key_salt; i++) key_salt[i] = (uint8_t)(0x30 + i * 11);
    const uint8_t *key = key_salt, *salt = key_salt + p->key_len;

    prose_srtp_session *tx = NULL, *rx = NULL;
    CHECK(prose_srtp_session_new(p->id, key, p->key_len, salt, p->salt_len, NULL, 0, 0, 0, &tx) ==
              PROSE_OK,
          "new tx %s", p->name);
    CHECK(prose_srtp_session_new(p->id, key, p->key_len, salt, p->salt_len, NULL, 0, 0, 0, &rx) ==
              PROSE_OK,
          "new rx %s", p->name);
    if (!tx || !rx) return;
    srtp_t lib_rx = libsrtp_session(p, key_salt, 0);
    srtp_t lib_tx = libsrtp_session(p, key_salt, 1);
    size_t overhead = prose_srtp_session_max_overhead(tx);
    CHECK(overhead >= 10 && overhead <= SRTP_MAX_TRAILER_LEN, "overhead %zu", overhead);

    static const size_t sizes[] = {0, 1, 20, 160, 480, 1200, 1400};
    uint8_t buf[CAP], plain[CAP];
    uint16_t seq = 65530; /* crosses the ROC rollover */
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++, seq++) {
        /* prose-sec -> libsrtp */
        size_t n = rtp_packet(buf, seq, 0x11223344u, sizes[k]), out = 0;
        memcpy(plain, buf, n);
        CHECK(prose_srtp_session_protect_rtp(tx, buf, n, sizeof buf, &out) == PROSE_OK,
              "protect %s %zu", p->name, sizes[k]);
        int len = (int)out;
        srtp_err_status_t st = srtp_unprotect(lib_rx, buf, &len);
        CHECK(st == srtp_err_status_ok && (size_t)len == n && memcmp(buf, plain, n) == 0,
              "libsrtp unprotect of ours %s %zu: %d", p->name, sizes[k], (int)st);

        /* libsrtp -> prose-sec */
        n = rtp_packet(buf, seq, 0x55667788u, sizes[k]);
        memcpy(plain, buf, n);
        len = (int)n;
        st = srtp_protect(lib_tx, buf, &len);
        CHECK(st == srtp_err_status_ok, "libsrtp protect %s: %d", p->name, (int)st);
        CHECK(prose_srtp_session_unprotect_rtp(rx, buf, (size_t)len, sizeof buf, &out) ==
                      PROSE_OK &&
                  out == n && memcmp(buf, plain, n) == 0,
              "unprotect of libsrtp's %s %zu", p->name, sizes[k]);
    }
    uint32_t roc = 0;
    CHECK(prose_srtp_session_get_roc(rx, 0x55667788u, &roc) == PROSE_OK && roc == 1,
          "roc after rollover %u", roc);

    /* SRTCP both ways. */
    for (int i = 0; i < 3; i++) {
        size_t n = rtcp_packet(buf, 0x11223344u), out = 0;
        memcpy(plain, buf, n);
        CHECK(prose_srtp_session_protect_rtcp(tx, buf, n, sizeof buf, &out) == PROSE_OK,
              "protect_rtcp %s", p->name);
        int len = (int)out;
        srtp_err_status_t st = srtp_unprotect_rtcp(lib_rx, buf, &len);
        CHECK(st == srtp_err_status_ok && (size_t)len == n && memcmp(buf, plain, n) == 0,
              "libsrtp unprotect_rtcp of ours %s: %d", p->name, (int)st);
        n = rtcp_packet(buf, 0x55667788u);
        memcpy(plain, buf, n);
        len = (int)n;
        st = srtp_protect_rtcp(lib_tx, buf, &len);
        CHECK(st == srtp_err_status_ok, "libsrtp protect_rtcp %s", p->name);
        CHECK(prose_srtp_session_unprotect_rtcp(rx, buf, (size_t)len, sizeof buf, &out) ==
                      PROSE_OK &&
                  out == n && memcmp(buf, plain, n) == 0,
              "unprotect_rtcp of libsrtp's %s", p->name);
    }

    /* Error paths: tamper, replay, short buffer, NULLs; the session still works after. */
    {
        size_t n = rtp_packet(buf, 7, 0x0A0B0C0Du, 160), out = 0, prot = 0;
        CHECK(prose_srtp_session_protect_rtp(tx, buf, n, n, &out) == PROSE_ERR_BUFFER_TOO_SMALL,
              "short buffer %s", p->name);
        CHECK(prose_srtp_session_protect_rtp(tx, buf, n, sizeof buf, &prot) == PROSE_OK, "prot");
        uint8_t copy[CAP];
        memcpy(copy, buf, prot);
        buf[prot - 1] ^= 1;
        CHECK(prose_srtp_session_unprotect_rtp(rx, buf, prot, sizeof buf, &out) ==
                  PROSE_ERR_AUTH_FAILED,
              "tampered %s", p->name);
        memcpy(buf, copy, prot);
        CHECK(prose_srtp_session_unprotect_rtp(rx, buf, prot, sizeof buf, &out) == PROSE_OK,
              "valid after tamper %s", p->name);
        memcpy(buf, copy, prot);
        CHECK(prose_srtp_session_unprotect_rtp(rx, buf, prot, sizeof buf, &out) ==
                  PROSE_ERR_REPLAY_DUPLICATE,
              "replay %s", p->name);
        CHECK(prose_srtp_session_unprotect_rtp(NULL, buf, prot, sizeof buf, &out) ==
                  PROSE_ERR_NULL_POINTER,
              "NULL session");
        CHECK(prose_srtp_session_unprotect_rtp(rx, NULL, prot, sizeof buf, &out) ==
                  PROSE_ERR_NULL_POINTER,
              "NULL buffer");
        CHECK(prose_srtp_session_unprotect_rtp(rx, buf, prot, sizeof buf, NULL) ==
                  PROSE_ERR_NULL_POINTER,
              "NULL out");
    }

    /* Batch: 40 packets protected in one call, each unprotected by libsrtp. */
    {
        enum { N = 40 };
        static uint8_t bufs[N][CAP];
        prose_srtp_packet pk[N];
        for (int i = 0; i < N; i++) {
            pk[i].buf = bufs[i];
            pk[i].len = rtp_packet(bufs[i], (uint16_t)(100 + i), 0x11223344u, 160);
            pk[i].capacity = CAP;
            /* Any value on input: the field is an unsigned integer, not an enum, on purpose. */
            pk[i].result = 0xdeadbeefu;
        }
        pk[7].len = CAP + 1; /* longer than its buffer: refused alone */
        CHECK(prose_srtp_session_protect_rtp_batch(tx, pk, N) == PROSE_OK, "batch");
        CHECK(pk[7].result == PROSE_ERR_INVALID_PARAMETER && pk[7].len == CAP + 1,
              "bad packet of a batch");
        for (int i = 0; i < N; i++) {
            if (i == 7)
                continue;
            CHECK(pk[i].result == PROSE_OK, "batch result %d", i);
            int len = (int)pk[i].len;
            CHECK(srtp_unprotect(lib_rx, bufs[i], &len) == srtp_err_status_ok && len == 172,
                  "libsrtp unprotect of batch packet %d %s", i, p->name);
        }
    }

    srtp_dealloc(lib_rx);
    srtp_dealloc(lib_tx);
    prose_srtp_session_free(tx);
    prose_srtp_session_free(rx);
}

int main(void) {
    if (srtp_init() != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init failed\n");
        return 1;
    }
    CHECK(strcmp(prose_result_str(PROSE_ERR_AUTH_FAILED), "authentication failed") == 0, "str");
    CHECK(prose_srtp_session_new(999, NULL, 0, NULL, 0, NULL, 0, 0, 0, NULL) ==
              PROSE_ERR_NULL_POINTER,
          "NULL out");
    prose_srtp_session *s = NULL;
    uint8_t key[16] = {0}, salt[14] = {0};
    CHECK(prose_srtp_session_new(999, key, 16, salt, 14, NULL, 0, 0, 0, &s) ==
                  PROSE_ERR_UNSUPPORTED &&
              s == NULL,
          "unknown profile");
    CHECK(prose_srtp_session_new(1, key, 15, salt, 14, NULL, 0, 0, 0, &s) != PROSE_OK && s == NULL,
          "bad key length");
    prose_srtp_session_free(NULL);
    for (size_t i = 0; i < sizeof PROFILES / sizeof PROFILES[0]; i++) interop(&PROFILES[i]);
    srtp_shutdown();
    printf("%d passed, %d failed\n", passed, failures);
    return failures == 0 ? 0 : 1;
}
