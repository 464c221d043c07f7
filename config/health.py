"""Health endpoints for load balancers, orchestrators and monitoring.

/healthz is liveness: the process answers. It touches no database or broker, so an outage of
either does not get healthy web containers restarted (which would not bring the database back).
/readyz is readiness: whether this instance can serve and have uploads verified right now.
"""

import hmac

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .readiness import readiness

RETRY_AFTER_S = 10


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the app answers."""
    return JsonResponse({"status": "ok"})


def _may_see_details(request: HttpRequest) -> bool:
    token = settings.READYZ_TOKEN
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(sent.strip().encode(), token.encode())
    try:
        return request.user.is_authenticated and request.user.is_staff
    except DatabaseError:  # the session lives in the database, which may be the outage
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database, the broker and a worker are there (in eager mode no
    broker or worker is needed), else 503. Per-check details for staff and READYZ_TOKEN only."""
    state = readiness()
    body: dict = {"status": "ok" if state.ready else "unavailable"}
    if _may_see_details(request):
        body["checks"] = {name: check.as_dict() for name, check in state.checks.items()}
    response = JsonResponse(body, status=200 if state.ready else 503)
    if not state.ready:
        response["Retry-After"] = str(RETRY_AFTER_S)
    return response
