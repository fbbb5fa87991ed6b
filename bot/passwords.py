"""Staff passwords: scrypt hashes (standard library only) and generated passwords.

A hash reads ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (base64 salt and key), so the
cost can be raised later and old hashes still verify with the parameters they
were made with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
#: CPU/memory cost (2**15 takes ~32 MiB and ~0.1 s): slow for a guesser, fine for a login.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
#: Generated passwords: 12 random bytes, 16 URL-safe characters (96 bits).
GENERATED_PASSWORD_BYTES = 12


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``, with its parameters, for storage."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join((SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)))


def verify_password(password: str, stored_hash: str) -> bool:
    """True if ``password`` matches; False for a wrong password or a malformed hash."""
    try:
        scheme, n, r, p, salt, key = stored_hash.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except (ValueError, OverflowError):  # malformed: not a hash we wrote
        return False
    return hmac.compare_digest(actual, expected)


def generate_password() -> str:
    """A random password to hand to a new account once."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # OpenSSL refuses more than 32 MiB unless told: allow what n and r need, with headroom.
    maxmem = 2 * 128 * n * r * p
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=KEY_BYTES
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
