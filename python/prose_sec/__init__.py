"""prose_sec: identity-based group media security for ProSe one-to-many communication.

SRTP/SRTCP sessions (:class:`SrtpSession`), SAKKE (RFC 6508) and ECCSI (RFC 6507) key
operations, MIKEY messages. Errors raise subclasses of :class:`ProseError`
(see :mod:`prose_sec.exceptions`)."""

from __future__ import annotations

from . import exceptions
from ._native import (
    PROFILE_AEAD_AES_128_GCM,
    PROFILE_AEAD_AES_256_GCM,
    PROFILE_AES_256_CM_HMAC_SHA1_32,
    PROFILE_AES_256_CM_HMAC_SHA1_80,
    PROFILE_AES_CM_128_HMAC_SHA1_32,
    PROFILE_AES_CM_128_HMAC_SHA1_80,
    PROFILE_NULL_HMAC_SHA1_32,
    PROFILE_NULL_HMAC_SHA1_80,
    EccsiKpak,
    EccsiKsak,
    EccsiSigningKey,
    EccsiVerifier,
    SakkeDecapsulationKey,
    SakkeKmsPublic,
    SakkeKmsSecret,
    SakkeRsk,
    SrtpSession,
    __version__,
    eccsi_verify,
    error_codes,
    sakke_encapsulate,
    sakke_encapsulate_many,
    sakke_validate_rsk,
)
from .exceptions import ProseError

__all__ = [
    "__version__",
    "error_codes",
    "exceptions",
    "ProseError",
    "SrtpSession",
    "PROFILE_AES_CM_128_HMAC_SHA1_80",
    "PROFILE_AES_CM_128_HMAC_SHA1_32",
    "PROFILE_AES_256_CM_HMAC_SHA1_80",
    "PROFILE_AES_256_CM_HMAC_SHA1_32",
    "PROFILE_NULL_HMAC_SHA1_80",
    "PROFILE_NULL_HMAC_SHA1_32",
    "PROFILE_AEAD_AES_128_GCM",
    "PROFILE_AEAD_AES_256_GCM",
    "SakkeKmsSecret",
    "SakkeKmsPublic",
    "SakkeRsk",
    "SakkeDecapsulationKey",
    "sakke_validate_rsk",
    "sakke_encapsulate",
    "sakke_encapsulate_many",
    "EccsiKsak",
    "EccsiKpak",
    "EccsiSigningKey",
    "EccsiVerifier",
    "eccsi_verify",
]
