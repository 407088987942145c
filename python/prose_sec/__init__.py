"""prose_sec: identity-based group media security for ProSe one-to-many communication."""

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
    SrtpSession,
    __version__,
    error_codes,
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
]
