"""Keyset (cursor) pages: a cursor names the row a page ended on (its sort value and id), so
the next page starts right after it by an index lookup, however deep, where OFFSET would read
and throw away every row before it. The cursor is opaque to clients; it carries the sort it
was made for, so it cannot be replayed against another ordering."""

import base64
import binascii
import json
from dataclasses import dataclass


class CursorError(ValueError):
    """A cursor this list did not make, or made for another ordering."""


@dataclass(frozen=True)
class SortKey:
    name: str  # what the client asked for: "price", "soh", "created", "quantity"
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.name}" if self.descending else self.name


@dataclass(frozen=True)
class Cursor:
    sort: str  # SortKey.param of the ordering it was made for
    value: str | None  # the sort value as text; None for a row without one (sorted last)
    pk: int
    backwards: bool = False  # the page before this row, not after it


def sort_key(ordering: str | None, *, names: set[str], default: str) -> SortKey:
    """The sort a list pages by: the first term of `ordering` (`-price`, `soh,-created`), or
    `default`. A name outside `names` is refused (the filterset's ordering field says so too)."""
    term = (ordering or "").split(",")[0].strip() or default
    name = term.removeprefix("-")
    if name not in names:
        raise CursorError(f"Cannot order by {name!r}; choose one of {', '.join(sorted(names))}.")
    return SortKey(name=name, descending=term.startswith("-"))


def cursor_encode(cursor: Cursor) -> str:
    raw = json.dumps([cursor.sort, cursor.value, cursor.pk, int(cursor.backwards)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(text: str, *, sort: SortKey) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        made_for, value, pk, backwards = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise CursorError("Not a cursor of this list: follow the next or previous link.") from error
    if not (
        isinstance(made_for, str)
        and (value is None or isinstance(value, str))
        and isinstance(pk, int)
        and not isinstance(pk, bool)
        and backwards in (0, 1)
    ):
        raise CursorError("Not a cursor of this list: follow the next or previous link.")
    if made_for != sort.param:
        raise CursorError(
            f"This cursor pages the list ordered by {made_for!r}, not {sort.param!r}: "
            "start again from the first page."
        )
    return Cursor(sort=made_for, value=value, pk=pk, backwards=bool(backwards))


@dataclass(frozen=True)
class ResultCount:
    value: int
    exact: bool

    @property
    def words(self) -> str:
        """'1,234', or past the exact threshold 'about 43,000' (two significant figures)."""
        if self.exact:
            return f"{self.value:,}"
        return f"about {round_significant(self.value, 2):,}"


def round_significant(number: int, figures: int) -> int:
    if number <= 0:
        return 0
    scale = 10 ** max(len(str(number)) - figures, 0)
    return round(number / scale) * scale


def result_count(*, counted_up_to: int, threshold: int, estimate: int | None) -> ResultCount:
    """`counted_up_to`: an exact count stopped at threshold + 1 rows; past the threshold, the
    planner's `estimate` (never below what was counted), or the threshold itself as a floor."""
    if counted_up_to <= threshold:
        return ResultCount(value=counted_up_to, exact=True)
    return ResultCount(value=max(estimate or 0, threshold + 1), exact=False)
