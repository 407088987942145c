/* Prints the ABI of the libsrtp 2 headers it is compiled with: sizes, offsets, enumeration
 * values and constants. Built once with Debian's libsrtp2-dev headers and once with this
 * library's; the two outputs must be identical. */
#include <stddef.h>
#include <stdio.h>
#include <srtp2/srtp.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>
#include <srtp2/crypto_types.h>

#define SZ(t) printf("sizeof(%s) = %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof(%s, %s) = %zu\n", #t, #f, offsetof(t, f))
#define VAL(v) printf("%s = %ld\n", #v, (long)(v))

int main(void)
{
    SZ(srtp_policy_t);
    OFF(srtp_policy_t, ssrc);
    OFF(srtp_policy_t, rtp);
    OFF(srtp_policy_t, rtcp);
    OFF(srtp_policy_t, key);
    OFF(srtp_policy_t, keys);
    OFF(srtp_policy_t, num_master_keys);
    OFF(srtp_policy_t, deprecated_ekt);
    OFF(srtp_policy_t, window_size);
    OFF(srtp_policy_t, allow_repeat_tx);
    OFF(srtp_policy_t, enc_xtn_hdr);
    OFF(srtp_policy_t, enc_xtn_hdr_count);
    OFF(srtp_policy_t, next);
    SZ(srtp_crypto_policy_t);
    OFF(srtp_crypto_policy_t, cipher_type);
    OFF(srtp_crypto_policy_t, cipher_key_len);
    OFF(srtp_crypto_policy_t, auth_type);
    OFF(srtp_crypto_policy_t, auth_key_len);
    OFF(srtp_crypto_policy_t, auth_tag_len);
    OFF(srtp_crypto_policy_t, sec_serv);
    SZ(srtp_master_key_t);
    OFF(srtp_master_key_t, key);
    OFF(srtp_master_key_t, mki_id);
    OFF(srtp_master_key_t, mki_size);
    SZ(srtp_ssrc_t);
    OFF(srtp_ssrc_t, type);
    OFF(srtp_ssrc_t, value);
    SZ(srtp_event_data_t);
    OFF(srtp_event_data_t, session);
    OFF(srtp_event_data_t, ssrc);
    OFF(srtp_event_data_t, event);
    SZ(srtp_err_status_t);
    SZ(srtp_sec_serv_t);
    SZ(srtp_ssrc_type_t);
    SZ(srtp_profile_t);
    SZ(srtp_event_t);
    SZ(srtp_log_level_t);
    SZ(srtp_cipher_type_id_t);
    SZ(srtp_auth_type_id_t);
    SZ(srtp_cipher_type_t);
    OFF(srtp_cipher_type_t, description);
    OFF(srtp_cipher_type_t, test_data);
    OFF(srtp_cipher_type_t, id);
    SZ(srtp_cipher_t);
    OFF(srtp_cipher_t, key_len);
    OFF(srtp_cipher_t, algorithm);
    SZ(srtp_cipher_test_case_t);
    SZ(srtp_auth_type_t);
    OFF(srtp_auth_type_t, description);
    OFF(srtp_auth_type_t, id);
    SZ(srtp_auth_t);
    OFF(srtp_auth_t, prefix_len);
    SZ(srtp_auth_test_case_t);

    VAL(SRTP_MASTER_KEY_LEN);
    VAL(SRTP_MAX_KEY_LEN);
    VAL(SRTP_MAX_TAG_LEN);
    VAL(SRTP_MAX_MKI_LEN);
    VAL(SRTP_MAX_TRAILER_LEN);
    VAL(SRTP_MAX_NUM_MASTER_KEYS);
    VAL(SRTP_SALT_LEN);
    VAL(SRTP_AEAD_SALT_LEN);
    VAL(SRTP_AES_128_KEY_LEN);
    VAL(SRTP_AES_192_KEY_LEN);
    VAL(SRTP_AES_256_KEY_LEN);
    VAL(SRTP_AES_ICM_128_KEY_LEN_WSALT);
    VAL(SRTP_AES_ICM_192_KEY_LEN_WSALT);
    VAL(SRTP_AES_ICM_256_KEY_LEN_WSALT);
    VAL(SRTP_AES_GCM_128_KEY_LEN_WSALT);
    VAL(SRTP_AES_GCM_192_KEY_LEN_WSALT);
    VAL(SRTP_AES_GCM_256_KEY_LEN_WSALT);
    VAL(SRTP_NULL_CIPHER);
    VAL(SRTP_AES_ICM_128);
    VAL(SRTP_AES_ICM_192);
    VAL(SRTP_AES_ICM_256);
    VAL(SRTP_AES_GCM_128);
    VAL(SRTP_AES_GCM_256);
    VAL(SRTP_NULL_AUTH);
    VAL(SRTP_HMAC_SHA1);

    VAL(srtp_err_status_ok);
    VAL(srtp_err_status_fail);
    VAL(srtp_err_status_bad_param);
    VAL(srtp_err_status_alloc_fail);
    VAL(srtp_err_status_dealloc_fail);
    VAL(srtp_err_status_init_fail);
    VAL(srtp_err_status_terminus);
    VAL(srtp_err_status_auth_fail);
    VAL(srtp_err_status_cipher_fail);
    VAL(srtp_err_status_replay_fail);
    VAL(srtp_err_status_replay_old);
    VAL(srtp_err_status_algo_fail);
    VAL(srtp_err_status_no_such_op);
    VAL(srtp_err_status_no_ctx);
    VAL(srtp_err_status_cant_check);
    VAL(srtp_err_status_key_expired);
    VAL(srtp_err_status_socket_err);
    VAL(srtp_err_status_signal_err);
    VAL(srtp_err_status_nonce_bad);
    VAL(srtp_err_status_read_fail);
    VAL(srtp_err_status_write_fail);
    VAL(srtp_err_status_parse_err);
    VAL(srtp_err_status_encode_err);
    VAL(srtp_err_status_semaphore_err);
    VAL(srtp_err_status_pfkey_err);
    VAL(srtp_err_status_bad_mki);
    VAL(srtp_err_status_pkt_idx_old);
    VAL(srtp_err_status_pkt_idx_adv);
    VAL(sec_serv_none);
    VAL(sec_serv_conf);
    VAL(sec_serv_auth);
    VAL(sec_serv_conf_and_auth);
    VAL(ssrc_undefined);
    VAL(ssrc_specific);
    VAL(ssrc_any_inbound);
    VAL(ssrc_any_outbound);
    VAL(srtp_profile_reserved);
    VAL(srtp_profile_aes128_cm_sha1_80);
    VAL(srtp_profile_aes128_cm_sha1_32);
    VAL(srtp_profile_null_sha1_80);
    VAL(srtp_profile_null_sha1_32);
    VAL(srtp_profile_aead_aes_128_gcm);
    VAL(srtp_profile_aead_aes_256_gcm);
    VAL(event_ssrc_collision);
    VAL(event_key_soft_limit);
    VAL(event_key_hard_limit);
    VAL(event_packet_index_limit);
    VAL(srtp_log_level_error);
    VAL(srtp_log_level_warning);
    VAL(srtp_log_level_info);
    VAL(srtp_log_level_debug);
    VAL(srtp_direction_encrypt);
    VAL(srtp_direction_decrypt);
    VAL(srtp_direction_any);
    return 0;
}
