"""Words a buyer types, over what the lot summary keeps of a lot's text (pack model,
manufacturer, chemistry, reference, location, description).

On PostgreSQL, full-text search: the pipeline stores each summary's tsvector (the `simple`
configuration: pack model names and makers are not English words to stem) under a GIN index,
and the buyer's words are read as a web search (`LFP -Tesla`, `"TB48100"`, `telecom or ups`).
Elsewhere (the embedded SQLite default), every word must appear in the text."""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import QuerySet, Value

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


def lot_text_search(lots: QuerySet, text: str) -> QuerySet:
    words = text.split()
    if not words:
        return lots
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return lots.filter(summary__search_vector=query)
    for word in words:
        lots = lots.filter(summary__search_text__icontains=word)
    return lots
