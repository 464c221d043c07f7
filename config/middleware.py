"""Request-level safety nets: a lost database answers 503 with a retry hint, and API writes sent
with an Idempotency-Key run once however often the client retries."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from core import idempotency
from core.db_faults import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, database_unavailable_body

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, else the plain page. The page is rendered
    without the request: its context processors (the user, their roles) would ask the
    database again."""
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(database_unavailable_body(), status=503)
    else:
        page = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that lost its database answers 503, not 500. (API views answer through DRF's
    exception handler, config.exceptions, before this sees anything.)

    The broken connection needs nothing more here: at the end of every request Django closes
    connections that saw such an error and fail a health check, and (CONN_HEALTH_CHECKS) checks
    a kept connection before its next use, so the next request in this worker connects afresh."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.error("database unavailable: %s", request.path, exc_info=exception)
        return database_unavailable_response(request)


class _LostRace(Exception):
    """Another request stored an answer for the key first (no advisory lock on SQLite)."""


class IdempotencyMiddleware:
    """API writes with an `Idempotency-Key` header run at most once per caller and key.

    The view runs in one transaction with the insert of its stored answer, so the key is stored
    exactly when the write committed: a client that got a 503 (or no answer at all) retries
    with the same key and gets the original answer, marked `Idempotent-Replayed: true`.
    The same key for a different request is a 422. A 5xx answer is rolled back and not stored.
    A middleware, not a DRF hook: it must hold the transaction around authentication, the view
    and the insert alike, so it scopes keys by the credential (see core.idempotency).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(idempotency.HEADER)
        if (
            key is None
            or request.method not in idempotency.METHODS
            or not request.path_info.startswith(API_PREFIX)
        ):
            return self.get_response(request)
        problem = idempotency.key_problem(key)
        if problem:
            return JsonResponse({"detail": problem}, status=400)
        if _oversized_upload(request):
            # The view refuses it from its Content-Length; hashing would first read it all.
            return self.get_response(request)
        try:
            scope = idempotency.caller_scope(request)
            if scope is None:
                return self.get_response(request)
            fingerprint = idempotency.request_fingerprint(request)
            return self._run_once(request, scope=scope, key=key, fingerprint=fingerprint)
        except RequestDataTooBig:
            return JsonResponse({"detail": "The request body is too large."}, status=413)
        except DATABASE_UNAVAILABLE:
            # Lost before the answer was stored, or at COMMIT: the outcome may be either, and
            # the retry with this key finds out which.
            logger.error(
                "database unavailable around an idempotent %s", request.path, exc_info=True
            )
            return database_unavailable_response(request)

    def _run_once(self, request, *, scope: str, key: str, fingerprint: str) -> HttpResponse:
        try:
            with transaction.atomic():
                idempotency.lock(scope=scope, key=key)
                record = idempotency.stored(scope=scope, key=key)
                if record is not None:
                    return self._answer_stored(record, fingerprint)
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "database_error", False):
                    # Nothing the request did stays: the retry starts from scratch.
                    transaction.set_rollback(True)
                    return response
                if idempotency.storable(response):
                    try:
                        with transaction.atomic():
                            idempotency.store(
                                scope=scope,
                                key=key,
                                request=request,
                                fingerprint=fingerprint,
                                response=response,
                            )
                    except IntegrityError as exc:
                        raise _LostRace from exc
                return response
        except _LostRace:
            record = idempotency.stored(scope=scope, key=key)
            if record is None:
                return JsonResponse(
                    {"detail": f"A request with this {idempotency.HEADER} is running; retry."},
                    status=409,
                )
            return self._answer_stored(record, fingerprint)

    @staticmethod
    def _answer_stored(record, fingerprint: str) -> HttpResponse:
        if record.request_hash != fingerprint:
            return JsonResponse({"detail": idempotency.mismatch_message(record)}, status=422)
        return idempotency.replay(record)


def _oversized_upload(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit_mb = getattr(settings, "TEST_DATA_MAX_UPLOAD_MB", 50)
    return request.content_type == "multipart/form-data" and length > (limit_mb + 1) * 1024 * 1024
