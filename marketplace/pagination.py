"""Keyset pages of the lot list, for the browse page and `GET /api/lots/`, and a result count
that stays cheap: exact up to a threshold, the planner's estimate past it."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from .domain.keyset import (
    Cursor,
    CursorError,
    ResultCount,
    SortKey,
    cursor_decode,
    cursor_encode,
    result_count,
    sort_key,
)

# Sort name (the filterset's `ordering` values) -> the column and how its cursor text reads.
SORTS: dict[str, tuple[str, Callable[[str], object]]] = {
    "created": ("created_at", datetime.fromisoformat),
    "price": ("summary__price_per_usable_kwh", Decimal),
    "soh": ("summary__measured_soh_pct", Decimal),
    "quantity": ("quantity", int),
}
# Columns that are never empty sort without NULLS FIRST/LAST, so that PostgreSQL reads them
# from a plain (column, id) index in either direction.
NOT_NULL = {"created", "quantity"}
DEFAULT_SORT = "-created"
COUNT_EXACT_UP_TO = 1000


@dataclass
class KeysetPage:
    rows: list
    sort: SortKey
    next_cursor: str | None
    previous_cursor: str | None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def lot_sort(ordering: str | None) -> SortKey:
    return sort_key(ordering, names=set(SORTS), default=DEFAULT_SORT)


def _text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _after(field: str, later: str, cursor: Cursor, value, nullable: bool) -> Q:
    """Rows after the cursor's in the sort order, where rows without a value come last. The
    redundant bound (`<=` before the strict test) is what lets PostgreSQL start its index scan
    at the cursor instead of reading every row before it."""
    if value is None:
        return Q(**{f"{field}__isnull": True, f"pk__{later}": cursor.pk})
    strict = Q(**{f"{field}__{later}e": value}) & (
        Q(**{f"{field}__{later}": value}) | Q(**{f"pk__{later}": cursor.pk})
    )
    return strict | Q(**{f"{field}__isnull": True}) if nullable else strict


def _before(field: str, earlier: str, cursor: Cursor, value, nullable: bool) -> Q:
    if value is None:
        return Q(**{f"{field}__isnull": False}) | Q(
            **{f"{field}__isnull": True, f"pk__{earlier}": cursor.pk}
        )
    return Q(**{f"{field}__{earlier}e": value}) & (
        Q(**{f"{field}__{earlier}": value}) | Q(**{f"pk__{earlier}": cursor.pk})
    )


@contextmanager
def serial_plans() -> Iterator[None]:
    """Queries inside are planned without parallel workers (on PostgreSQL; one `SET LOCAL` in
    a transaction of their own, so a pooled connection keeps its settings).

    For a page: it walks a sort index and stops after a page of rows, a millisecond or two
    of work, yet the planner splits the walk over workers when a filter makes it guess many
    rows to skip, and starting them costs more than the walk. Measured at 100,000 lots, a
    distance search's page came after 30 ms through two workers, and in 4 ms from one
    process. The count and the facets read thousands of rows, and stay parallel: read
    serially, the same search's count took 43 ms against 18 ms."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def keyset_page(
    queryset: QuerySet, *, sort: SortKey, cursor_text: str | None, size: int
) -> KeysetPage:
    """One page of `queryset` in `sort` order (ties by id), after or before the cursor's row.
    Raises CursorError for a cursor this list did not make."""
    field, read = SORTS[sort.name]
    cursor = cursor_decode(cursor_text, sort=sort) if cursor_text else None
    later, earlier = ("lt", "gt") if sort.descending else ("gt", "lt")
    backwards = bool(cursor and cursor.backwards)
    rows = queryset.annotate(sort_value=F(field))
    if cursor is not None:
        try:
            value = read(cursor.value) if cursor.value is not None else None
        except (ValueError, InvalidOperation) as error:
            raise CursorError("Not a cursor of this list: follow the next link.") from error
        where = _before if backwards else _after
        lookup = earlier if backwards else later
        rows = rows.filter(where(field, lookup, cursor, value, sort.name not in NOT_NULL))
    # Forward, rows without a value come last; a page read backwards reverses the whole order.
    nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
    if sort.name in NOT_NULL:
        nulls = {}
    if sort.descending != backwards:
        rows = rows.order_by(F(field).desc(**nulls), F("pk").desc())
    else:
        rows = rows.order_by(F(field).asc(**nulls), F("pk").asc())
    with serial_plans():
        found = list(rows[: size + 1])
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    has_next, has_previous = (True, more) if backwards else (more, cursor is not None)

    def mark(row, *, going_back: bool) -> str:
        return cursor_encode(
            Cursor(sort=sort.param, value=_text(row.sort_value), pk=row.pk, backwards=going_back)
        )

    return KeysetPage(
        rows=found,
        sort=sort,
        next_cursor=mark(found[-1], going_back=False) if found and has_next else None,
        previous_cursor=mark(found[0], going_back=True) if found and has_previous else None,
    )


def planner_rows(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows `queryset` holds (about a millisecond to ask);
    None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def lot_count(queryset: QuerySet, *, threshold: int = COUNT_EXACT_UP_TO) -> ResultCount:
    """How many rows `queryset` holds: counted exactly while there are at most `threshold`
    (the count stops reading there), estimated by PostgreSQL's planner past it; without a
    planner to ask (SQLite), counted."""
    counted = queryset.order_by()[: threshold + 1].count()
    estimate = planner_rows(queryset) if counted > threshold else None
    if counted > threshold and estimate is None:
        return ResultCount(value=queryset.order_by().count(), exact=True)
    return result_count(counted_up_to=counted, threshold=threshold, estimate=estimate)
