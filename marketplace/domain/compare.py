"""Which lots a comparison asks for: plain strings in, lot ids out, or the reason refused."""

from collections.abc import Iterable

MAX_LOTS = 4
MIN_LOTS = 2


class CompareInputError(ValueError):
    """The lots asked for cannot be compared; the message says why, for the page."""


def parse_lot_ids(values: Iterable[str], *, maximum: int = MAX_LOTS) -> list[int]:
    """Lot ids from `lots=1,2` or `lots=1&lots=2` (or both), in the order given, each once."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            text = part.strip()
            if not text:
                continue
            if not text.isascii() or not text.isdigit() or int(text) == 0:
                raise CompareInputError(
                    f"“{text[:20]}” is not a lot number: give lot ids such as lots=12,15."
                )
            if int(text) not in ids:
                ids.append(int(text))
    if len(ids) > maximum:
        raise CompareInputError(
            f"{len(ids)} lots were asked for; compare at most {maximum} lots at a time."
        )
    if len(ids) < MIN_LOTS:
        raise CompareInputError(
            f"Choose at least {MIN_LOTS} lots (and at most {maximum}) to compare them."
        )
    return ids
