/*
 * srtp2/crypto_types.h — cipher and authentication type identifiers of the libsrtp 2.x API.
 * Part of prose-sec's libsrtp2-compatible library; written from the documented API.
 */
#ifndef SRTP_CRYPTO_TYPES_H
#define SRTP_CRYPTO_TYPES_H

/* Cipher identifiers (srtp_cipher_type_id_t values). */
#define SRTP_NULL_CIPHER 0
#define SRTP_AES_ICM_128 1
#define SRTP_AES_ICM_192 4
#define SRTP_AES_ICM_256 5
#define SRTP_AES_GCM_128 6
#define SRTP_AES_GCM_256 7

/* Authentication identifiers (srtp_auth_type_id_t values). */
#define SRTP_NULL_AUTH 0
#define SRTP_HMAC_SHA1 3

#endif /* SRTP_CRYPTO_TYPES_H */
