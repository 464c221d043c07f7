"""A database that is unreachable for a moment: what the product answers and how it tells it."""

from django.db import InterfaceError, OperationalError

# Connection lost or refused, server closed it, statement cancelled, deadlock: all transient.
# (Django wraps the driver's errors in these two.)
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 3


def database_unavailable_body() -> dict:
    """The answer's body: a reason and a delay, never the driver's text (it names hosts)."""
    return {
        "detail": f"The database is unreachable for a moment; retry in {RETRY_AFTER_SECONDS} s.",
        "code": "database_unavailable",
        "retry_after": RETRY_AFTER_SECONDS,
    }
