"""Rasa's lock store, chosen by ``WISEMIND_REDIS_URL``: Redis at scale, memory otherwise.

Rasa serialises the messages of one conversation with a lock. One Rasa server
keeps its locks in memory; several Rasa servers sharing one database must
share locks too, in Redis, or two of them could answer one client at once.
``endpoints.yml`` names this class, so the same file serves both set-ups.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

from bot.settings import process_settings

#: Rasa's own default Redis database for locks.
DEFAULT_REDIS_DB = 1


class WiseMindLockStore(LockStore):
    """A factory in class form (Rasa loads lock stores by class path).

    Constructing it returns a :class:`RedisLockStore` when ``WISEMIND_REDIS_URL``
    is set (``redis://[:password@]host[:port][/db]``, checked with the other
    settings), else an :class:`InMemoryLockStore`.
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        url = process_settings().redis_url
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        return RedisLockStore(
            host=parsed.hostname,
            port=parsed.port or 6379,
            db=int(parsed.path.strip("/") or DEFAULT_REDIS_DB),
            password=parsed.password,
            use_ssl=parsed.scheme == "rediss",
            key_prefix="wisemind",
        )
