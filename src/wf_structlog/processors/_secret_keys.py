"""Which key names hold secrets: one normal form of a name, and the names and endings to match.

A name is read in one normal form before it is matched: camelCase and PascalCase split into
words (``clientSecret``, ``SecretAccessKey``, ``APIKey``), ``-``, ``.`` and spaces read as
``_``, all lower case. Then a name is secret if it is one of :data:`SECRET_KEYS` or ends with
one of :data:`SECRET_SUFFIXES` (``db_password``, ``aws_session_token``). Only the last words
count: ``token_count``, ``max_tokens``, ``password_length`` and ``passwordless`` (a flag, not
a password) are kept, and so is ``password_hash`` (a hash, not the credential); a name that
ends in a secret word is redacted even when it names a flag (``has_password``).
"""

from __future__ import annotations

import re
from typing import Any, Final

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
        "signing_key",
        "encryption_key",
        "master_key",
        "account_key",
        "subscription_key",
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
        "dsn",
        "connection_string",
        "conn_str",
    }
)
"""Key names (in the normal form) whose values are always replaced."""

SECRET_SUFFIXES: Final = (
    "_password",
    "_passwd",
    "_pwd",
    "_passphrase",
    "_secret",
    "_token",
    "_api_key",
    "_apikey",
    "_access_key",
    "_secret_key",
    "_private_key",
    "_signing_key",
    "_encryption_key",
    "_master_key",
    "_account_key",
    "_subscription_key",
    "_credential",
    "_credentials",
    "_connection_string",
    "_dsn",
)
"""A key ending in one of these is secret too (``access_token``, ``client_secret``), while
counts such as ``input_tokens`` are not."""

# Word boundaries inside a name: "aB" (accessToken) and "ABc" (APIKey: "API" then "Key").
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[-\s.]+")


def normal_key(key: Any) -> str:
    """*key* in the form names are matched in: words split, joined by ``_``, lower case."""
    text = str(key).strip()
    return _SEPARATORS.sub("_", _CAMEL.sub("_", text)).lower()


def secret_key_name(norm: str, keys: frozenset[str], suffixes: tuple[str, ...]) -> bool:
    """Whether the normal-form name *norm* holds secrets under *keys* and *suffixes*."""
    return norm in keys or norm.endswith(suffixes)
