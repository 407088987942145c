/*
 * srtp2/auth.h — the authentication-type interface of libsrtp 2.x, as prose-sec's
 * libsrtp2-compatible library provides it. Written from the documented API.
 *
 * The exported objects srtp_hmac and srtp_null_auth have libsrtp's layout; the engine's
 * authentication is internal, so their functions return srtp_err_status_no_such_op and
 * srtp_replace_auth_type is refused the same way.
 */
#ifndef SRTP_AUTH_H
#define SRTP_AUTH_H

#include "srtp.h"
#include "crypto_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef const struct srtp_auth_type_t *srtp_auth_type_pointer;
typedef struct srtp_auth_t *srtp_auth_pointer_t;

typedef srtp_err_status_t (*srtp_auth_alloc_func)(srtp_auth_pointer_t *ap,
                                                  int key_len,
                                                  int out_len);
typedef srtp_err_status_t (*srtp_auth_init_func)(void *state, const uint8_t *key, int key_len);
typedef srtp_err_status_t (*srtp_auth_dealloc_func)(srtp_auth_pointer_t ap);
typedef srtp_err_status_t (*srtp_auth_compute_func)(void *state,
                                                    const uint8_t *buffer,
                                                    int octets_to_auth,
                                                    int tag_len,
                                                    uint8_t *tag);
typedef srtp_err_status_t (*srtp_auth_update_func)(void *state,
                                                   const uint8_t *buffer,
                                                   int octets_to_auth);
typedef srtp_err_status_t (*srtp_auth_start_func)(void *state);

typedef struct srtp_auth_test_case_t {
    int key_length_octets;
    const uint8_t *key;
    int data_length_octets;
    const uint8_t *data;
    int tag_length_octets;
    const uint8_t *tag;
    const struct srtp_auth_test_case_t *next_test_case;
} srtp_auth_test_case_t;

typedef struct srtp_auth_type_t {
    srtp_auth_alloc_func alloc;
    srtp_auth_dealloc_func dealloc;
    srtp_auth_init_func init;
    srtp_auth_compute_func compute;
    srtp_auth_update_func update;
    srtp_auth_start_func start;
    const char *description;
    const srtp_auth_test_case_t *test_data;
    srtp_auth_type_id_t id;
} srtp_auth_type_t;

typedef struct srtp_auth_t {
    const srtp_auth_type_t *type;
    void *state;
    int out_len;
    int key_len;
    int prefix_len;
} srtp_auth_t;

int srtp_auth_get_key_length(const struct srtp_auth_t *a);
int srtp_auth_get_tag_length(const struct srtp_auth_t *a);
int srtp_auth_get_prefix_length(const struct srtp_auth_t *a);
srtp_err_status_t srtp_auth_type_self_test(const srtp_auth_type_t *at);
srtp_err_status_t srtp_replace_auth_type(const srtp_auth_type_t *ct, srtp_auth_type_id_t id);

#ifdef __cplusplus
}
#endif

#endif /* SRTP_AUTH_H */
