"""prose_sec: identity-based group media security for ProSe one-to-many communication."""

from __future__ import annotations

from . import exceptions
from ._native import __version__, error_codes
from .exceptions import ProseError

__all__ = ["__version__", "error_codes", "exceptions", "ProseError"]
