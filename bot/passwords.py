"""Staff passwords: argon2id hashes, older scrypt hashes still accepted, generated passwords.

New hashes are argon2id (``argon2-cffi``'s :class:`~argon2.PasswordHasher`,
encoded as ``$argon2id$v=19$m=…``), the memory-hard default OWASP recommends.
Accounts created before argon2 carry ``scrypt$<n>$<r>$<p>$<salt>$<key>``
hashes: they still verify, and :func:`needs_rehash` tells the login to replace
them with an argon2 hash made from the password just typed (the only moment
the password is known).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ARGON2_PREFIX = "$argon2"
#: The scheme of hashes made before argon2; verified, never made any more.
LEGACY_SCHEME = "scrypt"
#: Generated passwords: 12 random bytes, 16 URL-safe characters (96 bits).
GENERATED_PASSWORD_BYTES = 12

#: argon2-cffi's defaults (RFC 9106's second recommended option: 64 MiB, 3 passes).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """A salted argon2id hash of ``password``, with its parameters, for storage."""
    return _hasher.hash(password)


def verify_password(password: str, stored_hash: str) -> bool:
    """True if ``password`` matches; False for a wrong password or a malformed hash."""
    if stored_hash.startswith(ARGON2_PREFIX):
        try:
            return _hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    return _verify_scrypt(password, stored_hash)


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash that just verified should be replaced (scrypt, or weaker argon2 settings)."""
    if not stored_hash.startswith(ARGON2_PREFIX):
        return True
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def generate_password() -> str:
    """A random password to hand to a new account once."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _verify_scrypt(password: str, stored_hash: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored_hash.split("$")
        if scheme != LEGACY_SCHEME:
            return False
        expected = base64.b64decode(key, validate=True)
        cost, block, parallel = int(n), int(r), int(p)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=cost,
            r=block,
            p=parallel,
            # OpenSSL refuses more than 32 MiB unless told: allow what n and r need.
            maxmem=2 * 128 * cost * block * parallel,
            dklen=len(expected),
        )
    except (ValueError, OverflowError):  # malformed: not a hash we wrote
        return False
    return hmac.compare_digest(actual, expected)
