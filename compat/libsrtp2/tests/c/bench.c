/* srtp_protect through the libsrtp 2 API, 160- and 1200-octet payloads, AES_CM_128_HMAC_SHA1_80
 * and AEAD_AES_128_GCM: one warm buffer, a new sequence number per call (as the engine's
 * criterion bench does). Linked once per library (LD_LIBRARY_PATH picks it); prints the median
 * over rounds of the time per call, in ns. Usage: bench LABEL [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *label = argc > 1 ? argv[1] : "?";
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    struct { const char *name; void (*set)(srtp_crypto_policy_t *); } profiles[] = {
        {"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default},
        {"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth},
    };
    int sizes[] = {160, 1200};
    unsigned char key[46];
    for (int i = 0; i < 46; i++)
        key[i] = (unsigned char)i;
    srtp_init();
    for (size_t p = 0; p < 2; p++) {
        for (size_t s = 0; s < 2; s++) {
            srtp_policy_t pol;
            memset(&pol, 0, sizeof(pol));
            profiles[p].set(&pol.rtp);
            profiles[p].set(&pol.rtcp);
            pol.ssrc.type = ssrc_any_outbound;
            pol.key = key;
            srtp_t ctx;
            if (srtp_create(&ctx, &pol)) {
                fprintf(stderr, "srtp_create failed\n");
                return 1;
            }
            unsigned char buf[1200 + 12 + SRTP_MAX_TRAILER_LEN];
            memset(buf, 0x5a, sizeof(buf));
            buf[0] = 0x80;
            buf[1] = 0x60;
            buf[8] = 0x12; buf[9] = 0x34; buf[10] = 0x56; buf[11] = 0x78;
            int len0 = 12 + sizes[s];
            uint32_t seq = 0;
            /* Calibrate: about 0.1 s per round. */
            long iters = 1000;
            for (;;) {
                double t0 = now();
                for (long i = 0; i < iters; i++) {
                    seq++;
                    buf[2] = seq >> 8;
                    buf[3] = seq;
                    int len = len0;
                    if (srtp_protect(ctx, buf, &len)) {
                        fprintf(stderr, "protect failed\n");
                        return 1;
                    }
                }
                if (now() - t0 > 0.02)
                    break;
                iters *= 4;
            }
            iters = (long)(iters * 0.1 / 0.02) + 1;
            double *r = calloc(rounds, sizeof(double));
            for (int k = 0; k < rounds; k++) {
                double t0 = now();
                for (long i = 0; i < iters; i++) {
                    seq++;
                    buf[2] = seq >> 8;
                    buf[3] = seq;
                    int len = len0;
                    srtp_protect(ctx, buf, &len);
                }
                r[k] = (now() - t0) / iters * 1e9;
            }
            qsort(r, rounds, sizeof(double), cmp);
            printf("%s\tprotect\t%s\t%d\t%.1f\n", label, profiles[p].name, sizes[s], r[rounds / 2]);
            free(r);
            srtp_dealloc(ctx);
        }
    }
    return 0;
}
