import logging
import re
from functools import cache

from django.apps import apps
from django.db import IntegrityError, models
from django.db.models.expressions import F
from django.utils.text import capfirst
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.db_faults import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, database_unavailable_body
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

# Constraints whose API field is not a column of their table: a lot's pack serials arrive as
# its `packs` list.
API_FIELD_OF_CONSTRAINT = {
    "pack_serial_unique_in_lot": "packs",
    "pack_serial_unique_live": "packs",
}


def api_exception_handler(exc, context):
    """Business-rule refusals reach API clients as 400s with the field they concern; a lost
    database is a 503 with Retry-After; a constraint a race ran into is the field error the
    checks before it would have given. Never a 500 with the driver's text."""
    if isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.error("database unavailable in an API view", exc_info=exc)
        response = Response(
            database_unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        return _database_error(response)
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error in an API view", exc_info=exc)
        return _database_error(integrity_error_response(exc))
    return exception_handler(exc, context)


def _database_error(response: Response) -> Response:
    # The request's transaction (config.middleware.IdempotencyMiddleware) may be aborted:
    # it is rolled back and no answer is stored for its key.
    response.database_error = True
    return response


def integrity_error_response(exc: IntegrityError) -> Response:
    """A unique or check constraint refused a write: 400 naming the field; anything else (a
    row referenced was deleted meanwhile) is a 409 conflict."""
    found = constraint_of(exc)
    if found is None:
        return Response(
            {"detail": "The request conflicts with data changed meanwhile; reload and retry."},
            status=status.HTTP_409_CONFLICT,
        )
    name, model, fields, unique = found
    field = API_FIELD_OF_CONSTRAINT.get(name) or _own_fields(model, fields)[-1]
    labels = " and ".join(
        str(model._meta.get_field(f).verbose_name) for f in _own_fields(model, fields)
    )
    if unique:
        message = f"{capfirst(model._meta.verbose_name)} with this {labels} already exists."
    else:
        message = f"This {labels} is not allowed for a {model._meta.verbose_name}."
    return Response({field: [message]}, status=status.HTTP_400_BAD_REQUEST)


def constraint_of(exc: IntegrityError) -> tuple[str, type[models.Model], list[str], bool] | None:
    """(constraint name, model, its fields, unique?) for the constraint the error names."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is None:
        # SQLite: "UNIQUE constraint failed: index 'name'" or "CHECK constraint failed: name".
        match = re.search(r"constraint failed: (?:index ')?(\w+)'?$", str(exc))
        name = match[1] if match else None
    if name in _constraints():
        return (name, *_constraints()[name])
    # Unique columns without a named constraint: Django's own names, or SQLite's column list.
    columns = _unique_columns(exc, getattr(diag, "table_name", None))
    return _unique_on_columns(columns) if columns else None


@cache
def _constraints() -> dict[str, tuple[type[models.Model], list[str], bool]]:
    found = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                fields = list(constraint.fields) or _expression_fields(constraint.expressions)
                found[constraint.name] = (model, fields, True)
            elif isinstance(constraint, models.CheckConstraint):
                found[constraint.name] = (model, _q_fields(constraint.condition), False)
    return found


def _expression_fields(expressions) -> list[str]:
    names = []
    for expression in expressions:
        if isinstance(expression, F):
            names.append(expression.name)
        elif hasattr(expression, "get_source_expressions"):
            names += _expression_fields(expression.get_source_expressions())
    return names


def _q_fields(condition) -> list[str]:
    names = []
    for child in getattr(condition, "children", []):
        if isinstance(child, tuple):
            name = child[0].split("__")[0]
            if name not in names:
                names.append(name)
        else:
            names += [n for n in _q_fields(child) if n not in names]
    return names


def _own_fields(model: type[models.Model], fields: list[str]) -> list[str]:
    """The fields a client sets: not the foreign key that scopes the constraint (a lot's
    reference is unique per supplier; the reference is what to change)."""
    own = [f for f in fields if not model._meta.get_field(f).is_relation]
    return own or fields or ["non_field_errors"]


_KEY_COLUMNS = re.compile(r"Key \((?P<columns>[^)]*)\)=")
_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)$")


def _unique_columns(exc: IntegrityError, table: str | None) -> list[tuple[str, str]]:
    """(table, column) pairs of a unique violation, from the error's detail (never shown)."""
    detail = getattr(getattr(exc.__cause__, "diag", None), "message_detail", None) or ""
    match = _KEY_COLUMNS.search(detail)
    if match and table:
        return [(table, column.strip()) for column in match["columns"].split(",")]
    match = _SQLITE_COLUMNS.search(str(exc))
    if match:
        return [tuple(part.strip().rsplit(".", 1)) for part in match["columns"].split(",")]
    return []


def _unique_on_columns(columns: list[tuple[str, str]]):
    tables = {table for table, _ in columns}
    if len(tables) != 1:
        return None
    model = next((m for m in apps.get_models() if m._meta.db_table in tables), None)
    if model is None:
        return None
    by_column = {f.column: f.name for f in model._meta.concrete_fields}
    fields = [by_column[c] for _, c in columns if c in by_column]
    if len(fields) != len(columns):
        return None
    for name, (owner, constraint_fields, unique) in _constraints().items():
        if owner is model and unique and sorted(constraint_fields) == sorted(fields):
            return name, model, fields, True
    return f"{model._meta.db_table}_{'_'.join(fields)}_unique", model, fields, True
