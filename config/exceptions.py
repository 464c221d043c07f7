from rest_framework import exceptions
from rest_framework.views import exception_handler

from core.errors import ApplicationError


def api_exception_handler(exc, context):
    """Business-rule refusals reach API clients as 400s with the field they concern."""
    if isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
    return exception_handler(exc, context)
