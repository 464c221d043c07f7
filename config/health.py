from django.db import connection
from django.http import HttpResponse, JsonResponse


def healthz(request) -> HttpResponse:
    """Liveness for load balancers and docker-compose: the app answers and reaches its DB."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok"})
