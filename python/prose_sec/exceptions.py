"""Exceptions raised by prose_sec: one class per error kind of the library, all sharing
:class:`ProseError`. The numeric ``code`` equals the C ``prose_result`` value."""

from __future__ import annotations


class ProseError(Exception):
    """Base class of every error raised by prose_sec."""

    code: int = 0


class AuthFailed(ProseError):
    """An authentication tag or MAC did not verify."""

    code = 1


class ReplayError(ProseError):
    """A replayed packet (base of the two replay kinds)."""


class ReplayDuplicate(ReplayError):
    """Packet index already seen inside the replay window."""

    code = 2


class ReplayTooOld(ReplayError):
    """Packet index older than the replay window."""

    code = 3


class BufferTooSmall(ProseError):
    """The output buffer is too small."""

    code = 4


class InvalidParameter(ProseError, ValueError):
    """A parameter is out of range or inconsistent."""

    code = 5


class ParseError(ProseError, ValueError):
    """Malformed input."""

    code = 6


class InvalidSignature(ProseError):
    """A signature did not verify or is out of range."""

    code = 7


class InvalidPoint(ProseError, ValueError):
    """A point is not on the curve, not in the subgroup, or badly encoded."""

    code = 8


class UnknownKey(ProseError):
    """No key is known under the given identifier."""

    code = 9


class KeyExpired(ProseError):
    """The key is outside its period of validity."""

    code = 10


class KeyExhausted(ProseError):
    """The key protected the maximum number of packets allowed."""

    code = 11


class CapacityExceeded(ProseError):
    """A bounded table (streams, keys) is full."""

    code = 12


class InvalidKey(ProseError):
    """A key or key pair failed validation."""

    code = 13


class FreshnessError(ProseError):
    """A message is stale, from the future, or replayed."""

    code = 14


class Unsupported(ProseError):
    """The operation or message variant is not supported."""

    code = 15


class RngError(ProseError):
    """The random number generator failed."""

    code = 16


#: Exception class by library error code, in code order (used by the native module).
BY_CODE = {
    cls.code: cls
    for cls in (
        AuthFailed,
        ReplayDuplicate,
        ReplayTooOld,
        BufferTooSmall,
        InvalidParameter,
        ParseError,
        InvalidSignature,
        InvalidPoint,
        UnknownKey,
        KeyExpired,
        KeyExhausted,
        CapacityExceeded,
        InvalidKey,
        FreshnessError,
        Unsupported,
        RngError,
    )
}

__all__ = [name for name, obj in list(globals().items()) if isinstance(obj, type)] + ["BY_CODE"]
