"""The lot list as buyers get it from `GET /api/lots/`, kept in the cache for a short while.

Every buyer who supplies nothing and audits nothing is listed the same lots for the same
query, so the rendered page is shared between them under a key of the query and the listing
version. Anything that changes what the list shows (a lot's status, fields or summary, a pack
model, a supplier's name) bumps the version once its transaction commits, so the next request
computes the list afresh: a lot withdrawn or sent back to verification leaves the list at
once, not when its entry expires. The expiry (`LISTING_CACHE_SECONDS`) bounds what a path that
forgets to bump could show; 0 turns the cache off.

A version read before a change commits only names entries computed from the data before it,
and those are never read again once the version moved on: a slow request cannot store an old
list under the new version."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "marketplace:lots-listed:version"


def listing_cache_seconds() -> int:
    return settings.LISTING_CACHE_SECONDS


def listing_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start (a flushed or evicted cache) takes a version no earlier start used,
        # so entries left from before can never be read as current.
        cache.add(VERSION_KEY, time.time_ns())
        version = cache.get(VERSION_KEY)
    return version


def listing_key(*, version: int, path: str) -> str:
    digest = hashlib.blake2b(path.encode(), digest_size=16).hexdigest()
    return f"marketplace:lots-listed:{version}:{digest}"


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing cached under one either
        cache.add(VERSION_KEY, time.time_ns())


def listing_changed() -> None:
    """What buyers are listed changes with the current transaction: the cached lists are
    dropped once it commits (at once outside one)."""
    # robust: the change is committed; a cache that is down costs at most the expiry.
    transaction.on_commit(_bump, robust=True)


def listing_changed_receiver(sender, **kwargs) -> None:
    listing_changed()
