"""Words a buyer types, over what the lot summary keeps of a lot's text (pack model,
manufacturer, chemistry, reference, location, description).

On PostgreSQL, full-text search: the pipeline stores each summary's tsvector (the `simple`
configuration: pack model names and makers are not English words to stem) under a GIN index,
and the buyer's words are read as a web search (`LFP -Tesla`, `"TB48100"`, `telecom or ups`).
Elsewhere (the embedded SQLite default), every word must appear in the text."""

from collections.abc import Sequence

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import QuerySet, Value

from .models import LotSummary
from .pagination import planner_rows

SEARCH_CONFIG = "simple"


def search_fields(lot) -> dict:
    """The lot summary's search columns for `lot` (with its pack model): the text, and on
    PostgreSQL the expression of its vector, computed by the database as the row is saved."""
    model = lot.pack_model
    parts = (model.manufacturer, model.model, model.chemistry, lot.reference, lot.location,
             lot.description)  # fmt: skip
    text = " ".join(part.strip() for part in parts if part and part.strip())
    if connection.vendor != "postgresql":
        return {"search_text": text}
    return {"search_text": text, "search_vector": SearchVector(Value(text), config=SEARCH_CONFIG)}


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


def lot_text_search(lots: QuerySet, text: str) -> QuerySet:
    words = text.split()
    if not words:
        return lots
    if connection.vendor == "postgresql":
        return lots.filter(summary__search_vector=_query(text))
    for word in words:
        lots = lots.filter(summary__search_text__icontains=word)
    return lots


# A search whose words the index finds in at most this many summaries is checked against the
# routes first, on the summaries alone (bounded by these rows, a few milliseconds)...
PREFILTER_UP_TO = 15_000
# ... and, when at most this many of its lots are left, listed from their ids (more are
# common enough for the walk down the sort index to fill a page soon).
LISTED_BY_ID_UP_TO = 500


def lot_search_narrow(
    lots: QuerySet, text: str, *, routes: Sequence[str] = (), excluded: Sequence[str] = ()
) -> QuerySet:
    """`lots` (a search, every filter applied) narrowed to the ids of the lots it can match,
    when they are few: the summaries matching `text` whose route is in `routes` (if given)
    and not in `excluded`.

    Why: the planner estimates a search's matches from its words alone, blind to how they
    fall with the other filters. A maker whose every lot is routed to recycling looks like
    thousands of second-life matches among 100,000 lots, so the walk down the sort index is
    chosen, and it reads every lot to find none (a quarter of a second). The index's estimate
    of the words alone is close, so the search is checked against the routes on the summaries
    only when that is cheap; the list of ids it leaves is a superset of the answer, never a
    narrower one (the page still applies every filter)."""
    if connection.vendor != "postgresql" or not text.split():
        return lots
    matching = LotSummary.objects.filter(search_vector=_query(text))
    if planner_rows(matching) > PREFILTER_UP_TO:
        return lots
    if routes:
        matching = matching.filter(route__in=routes)
    if excluded:
        matching = matching.exclude(route__in=excluded)
    # No LIMIT: with one, the planner may prefer a scan that stops early, and read every
    # summary when few pass; the index bounds this read by PREFILTER_UP_TO rows anyway.
    ids = list(matching.values_list("lot_id", flat=True))
    return lots if len(ids) > LISTED_BY_ID_UP_TO else lots.filter(pk__in=ids)
