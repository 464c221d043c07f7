"""Idempotency keys for API writes (Stripe-style): the pieces the middleware puts together.

A caller's scope, a request's fingerprint, the lock that makes a second request with the same
key wait for the first, and the stored answer a retry gets back.
"""

import hashlib
import json
from datetime import datetime, timedelta

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answers a retry may legitimately change: credentials, throttles, conflicts of the moment.
# They are not stored, so the retry runs again (their requests write nothing the key guards).
NOT_STORED = frozenset({401, 403, 408, 409, 423, 425, 429})
# The first 32 bits of PostgreSQL's two-key advisory locks: this module's namespace, apart from
# the single-bigint locks other code takes.
LOCK_NAMESPACE = 0x1DE4
_FILE_CHUNK = 1024 * 1024


def key_problem(key: str) -> str | None:
    """Why a header value cannot be a key, or None."""
    if not key.strip():
        return f"{HEADER} is empty."
    if len(key) > MAX_KEY_LENGTH:
        return f"{HEADER} is longer than {MAX_KEY_LENGTH} characters."
    if not key.isprintable():
        return f"{HEADER} holds control characters."
    return None


def caller_scope(request: HttpRequest) -> str | None:
    """Whose keys these are, before DRF has authenticated anyone, in DRF's order: a token
    header, else the session's user, else any other Authorization header (Basic). Only a keyed
    hash is kept: a Basic header carries a password. None for an anonymous request, which the
    API refuses anyway. One user with two tokens has two scopes: keys belong to a credential."""
    user = getattr(request, "user", None)
    authorization = request.headers.get("Authorization", "")
    if authorization[:6].lower() == "token ":
        source = f"authorization:{authorization}"
    elif user is not None and user.is_authenticated and user.is_active:
        source = f"session-user:{user.pk}"
    elif authorization:
        source = f"authorization:{authorization}"
    else:
        return None
    return salted_hmac("core.idempotency.scope", source, algorithm="sha256").hexdigest()


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of method, path with query and body. A multipart POST is hashed from its parsed
    fields and files (its raw body differs between retries by the random boundary); Django
    keeps them, and DRF takes them from there rather than reading the spent stream again."""
    digest = hashlib.sha256()
    _frame(digest, request.method, request.get_full_path())
    if request.method == "POST" and request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                _frame(digest, "field", name, value)
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                content = hashlib.sha256()
                for chunk in upload.chunks(_FILE_CHUNK):
                    content.update(chunk)
                upload.seek(0)
                _frame(digest, "file", name, upload.name, upload.size, content.hexdigest())
    else:
        _frame(digest, "body")
        digest.update(request.body)
    return digest.hexdigest()


def _frame(digest, *parts) -> None:
    # JSON framing: ("a", "bc") and ("ab", "c") hash differently.
    digest.update(json.dumps(parts).encode() + b"\n")


def lock(*, scope: str, key: str) -> None:
    """Hold (scope, key) until the transaction ends: a concurrent request with the same key
    waits here until the first has committed its answer or rolled back. SQLite has one writer
    at a time and the unique constraint settles the rest."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [LOCK_NAMESPACE, int.from_bytes(digest[:4], "big", signed=True)],
        )


def stored(*, scope: str, key: str, now: datetime | None = None) -> IdempotencyKey | None:
    """The live stored answer for the key; an expired one is removed so the key is free."""
    record = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if record is not None and record.created_at <= (now or timezone.now()) - KEY_LIFETIME:
        record.delete()
        return None
    return record


def storable(response: HttpResponse) -> bool:
    """Whether a retry gets this answer back. A streamed answer cannot be kept; no API write
    streams one."""
    return (
        not response.streaming
        and response.status_code < 500
        and response.status_code not in NOT_STORED
    )


def store(
    *, scope: str, key: str, request: HttpRequest, fingerprint: str, response: HttpResponse
) -> IdempotencyKey:
    """Keep the answer; call it inside the request's transaction, after the view."""
    user = getattr(request, "user", None)
    return IdempotencyKey.objects.create(
        scope=scope,
        key=key,
        user=user if user is not None and user.is_authenticated else None,
        method=request.method,
        path=request.get_full_path()[:2000],
        request_hash=fingerprint,
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        location=response.get("Location", "")[:2000],
        body=response.content,
    )


def replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type or None
    )
    if record.location:
        response["Location"] = record.location
    response[REPLAYED_HEADER] = "true"
    return response


def mismatch_message(record: IdempotencyKey) -> str:
    return (
        f"This {HEADER} was already used for a different request ({record.method} "
        f"{record.path}, another body); send a new key for a new request."
    )


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than their lifetime; returns how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted
