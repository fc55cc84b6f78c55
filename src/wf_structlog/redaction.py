"""Redaction: the last processor before any sink, so no output can see what it removes.

This first version matches key names; matching secrets inside values follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from . import _faults
from .typing import EventDict

REPLACEMENT: Final = "[REDACTED]"

SECRET_KEYS: Final = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "api_key",
        "apikey",
        "x_api_key",
        "access_key",
        "secret_key",
        "private_key",
        "authorization",
        "proxy_authorization",
        "auth",
        "bearer",
        "jwt",
        "cookie",
        "cookies",
        "set_cookie",
        "token",
        "credential",
        "credentials",
        "session",
    }
)
"""Key names (lower case, ``-`` read as ``_``) whose values are always replaced."""

SECRET_SUFFIXES: Final = (
    "_password",
    "_passwd",
    "_passphrase",
    "_secret",
    "_token",
    "_api_key",
    "_apikey",
    "_access_key",
    "_secret_key",
    "_private_key",
    "_credentials",
)
"""A key ending in one of these is secret too (``access_token``, ``client_secret``), while
counts such as ``input_tokens`` are not."""

_CACHE_LIMIT: Final = 4096

# Keys the hierarchy stamps and the stream needs; never secrets, never redacted.
_NEVER: Final = frozenset({"event", "level", "timestamp", "seq", "pid"})


class Redactor:
    """Replace the values of secret-looking keys, at any depth, by ``[REDACTED]``.

    Args:
        extra_keys: more key names to treat as secret (matched like the built-in ones).

    If redaction itself fails the event is cut down to its stream keys, so a bug here can lose
    detail but never leak it.
    """

    def __init__(self, extra_keys: Iterable[str] = ()) -> None:
        if isinstance(extra_keys, str):
            extra_keys = (extra_keys,)
        self._keys = SECRET_KEYS | {_normal(k) for k in extra_keys}
        self._decided: dict[str, bool] = {}

    def is_secret(self, key: Any) -> bool:
        """Whether values under *key* are replaced."""
        decided = self._decided.get(key)
        if decided is None:
            norm = _normal(key)
            decided = norm in self._keys or norm.endswith(SECRET_SUFFIXES)
            if len(self._decided) >= _CACHE_LIMIT:
                self._decided.clear()
            self._decided[key] = decided
        return decided

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        decided = self._decided
        try:
            for key, value in event_dict.items():
                if key in _NEVER and value.__class__ is not dict:
                    continue
                secret = decided.get(key)
                if secret is None:
                    secret = self.is_secret(key)
                if secret:
                    event_dict[key] = REPLACEMENT
                elif value.__class__ is dict or value.__class__ is list:
                    event_dict[key] = self._walk(value)
        except Exception as exc:
            _faults.report("redaction", f"redaction failed ({type(exc).__name__}); event cut down")
            return {k: v for k, v in event_dict.items() if k in _NEVER} | {"redaction_failed": True}
        return event_dict

    def _walk(self, value: Any) -> Any:
        if value.__class__ is dict:
            return {
                k: REPLACEMENT if self.is_secret(k) else self._walk(v) for k, v in value.items()
            }
        if value.__class__ is list:
            if len(value) == 2 and value[0].__class__ is str and self.is_secret(value[0]):
                return [value[0], REPLACEMENT]  # a (name, value) pair, as HTTP headers come
            return [self._walk(v) for v in value]
        return value


_SEPARATORS = re.compile(r"[-\s.]+")


def _normal(key: Any) -> str:
    return _SEPARATORS.sub("_", str(key).strip().lower())
