"""Writes: buyers save and drop searches; a lot newly verified or re-routed is matched against
them, and each (search, lot, event) is recorded and told to its buyer once."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone

from core.errors import ApplicationError
from marketplace.choices import LotEvent
from marketplace.filters import LotFilter
from marketplace.selectors import lot_list_browsable
from reviews.notifications import notifications_create
from reviews.tasks import email_notifications
from suppliers.models import Lot
from suppliers.selectors import is_buyer

from .models import SavedSearch, SearchMatch
from .selectors import saved_searches_matching, search_parameters, search_query_describe

# Saved with the browse page's address but no part of a search.
NOT_SEARCH_PARAMETERS = frozenset({"page"})
MAX_SAVED_SEARCHES = 50
NAME_MAX_LENGTH = SavedSearch._meta.get_field("name").max_length
QUERY_MAX_LENGTH = SavedSearch._meta.get_field("query").max_length


def search_query_normalise(*, query: str) -> str:
    """The browse page's query string as it is saved: only `LotFilter`'s parameters, blanks
    dropped, in the filterset's order, one value for a single-valued parameter (the one the
    page reads: the last). Refused with the filterset's own errors when it would refuse it."""
    data = QueryDict((query or "").strip().lstrip("?"))
    parameters = search_parameters()
    known = {name for name, _ in parameters}
    unknown = sorted(set(data) - known - NOT_SEARCH_PARAMETERS)
    if unknown:
        raise ApplicationError(
            f"Not a search parameter: {', '.join(unknown)}. A search filters by "
            f"{', '.join(name for name, _ in parameters)}.",
            field="query",
        )
    form_fields = LotFilter(QueryDict(), queryset=Lot.objects.none()).form.fields
    kept = QueryDict(mutable=True)
    for name, _ in parameters:
        values = [value.strip() for value in data.getlist(name) if value.strip()]
        field = form_fields.get(name)
        if field is not None and not getattr(field.widget, "allow_multiple_selected", False):
            values = values[-1:]
        if values:
            kept.setlist(name, values)
    filterset = LotFilter(kept, queryset=Lot.objects.none())
    if not filterset.is_valid():
        errors = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in filterset.errors.items()
        )
        raise ApplicationError(f"This search cannot be saved: {errors}", field="query")
    normalised = kept.urlencode()
    if len(normalised) > QUERY_MAX_LENGTH:
        raise ApplicationError(
            f"This search is too long to save ({len(normalised)} characters; at most "
            f"{QUERY_MAX_LENGTH}).",
            field="query",
        )
    return normalised


@transaction.atomic
def saved_search_create(
    *, user: AbstractBaseUser, query: str, name: str = "", email: bool = True
) -> SavedSearch:
    """Save the browse page's filters for a buyer, who is then told of lots newly verified or
    re-routed that match them. `name` defaults to the filters in words."""
    if not is_buyer(user):
        raise ApplicationError(
            "Only members of a buyer organisation save searches: they are told of new supply."
        )
    query = search_query_normalise(query=query)
    name = (name or "").strip() or search_query_describe(query)[:NAME_MAX_LENGTH]
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            f"A name has at most {NAME_MAX_LENGTH} characters ({len(name)} given).", field="name"
        )
    # The unique constraint on (owner, query) settles a race between two saves of one search.
    own = SavedSearch.objects.filter(owner=user)
    existing = own.filter(query=query).first()
    if existing is not None:
        raise ApplicationError(
            f"You saved this search already, as {existing.name!r}.", field="query"
        )
    if own.count() >= MAX_SAVED_SEARCHES:
        raise ApplicationError(
            f"You have {MAX_SAVED_SEARCHES} saved searches, the most one person keeps; delete "
            "one you no longer need first."
        )
    return SavedSearch.objects.create(owner=user, name=name, query=query, email=email)


def _own(user: AbstractBaseUser, search: SavedSearch) -> None:
    if search.owner_id != user.pk:
        raise ApplicationError("This is not your saved search.")


@transaction.atomic
def saved_search_delete(*, user: AbstractBaseUser, search: SavedSearch) -> None:
    """Drop a saved search; its matches go with it, the notices already sent stay."""
    _own(user, search)
    search.delete()


@transaction.atomic
def saved_search_set_email(
    *, user: AbstractBaseUser, search: SavedSearch, email: bool
) -> SavedSearch:
    """Notices of this search by email too (True), or in the app only (False)."""
    _own(user, search)
    search.email = email
    search.save(update_fields=["email"])
    return search


def _matches_insert(*, search_ids: Iterable[int], lot_id: int, event: LotEvent) -> set[int]:
    """Insert a match row for each search not matched with this lot on this event yet, and
    return the searches whose row this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and SQLite since 3.35): a row
    another task inserted first, committed or not, is skipped, and so is not returned; a
    concurrent insert of the same row waits for the other transaction and then skips it. So
    two runs of the matching task, at once or one after the other, never both notify."""
    search_ids = sorted(set(search_ids))
    if not search_ids:
        return set()
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = ", ".join(quote(c) for c in ("search_id", "lot_id", "event", "created_at"))
    unique = ", ".join(quote(c) for c in ("search_id", "lot_id", "event"))
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(search_ids))
    sql = (
        f"INSERT INTO {quote(SearchMatch._meta.db_table)} ({columns}) VALUES {rows} "
        f"ON CONFLICT ({unique}) DO NOTHING RETURNING {quote('search_id')}"
    )
    params = [value for pk in search_ids for value in (pk, lot_id, str(event), now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _message(lot: Lot, event: LotEvent, searches: list[SavedSearch]) -> str:
    names = ", ".join(f"“{s.name}”" for s in searches)
    which = f"your saved search{'es' if len(searches) > 1 else ''} {names}"
    summary = lot.summary
    if event == LotEvent.REROUTED:
        return f"Lot {lot.reference} was re-routed to {summary.route}; it matches {which}."
    soh = f"measured SOH {summary.measured_soh_pct} %" if summary.measured_soh_pct else ""
    facts = ", ".join(
        part for part in (lot.pack_model.chemistry, summary.route, soh, lot.location) if part
    )
    return f"Lot {lot.reference} ({facts}) is newly verified; it matches {which}."


def search_matches_record(*, lot_id: int, event: str) -> list[SearchMatch]:
    """Match lot `lot_id` against the buyers' saved searches on `event` (it was newly verified,
    or re-routed), record each (search, lot, event) not recorded yet, and notify the buyers
    of those only: one notice per buyer naming the searches matched, by email too when one
    of them asks for it (sent by a task once this commits). Safe to run twice: the second
    run inserts nothing and tells no one. Returns the matches this run recorded."""
    try:
        event = LotEvent(event)
    except ValueError:
        raise ApplicationError(
            f"Unknown event {event!r}: one of {', '.join(LotEvent.values)}."
        ) from None
    with transaction.atomic():
        lot = lot_list_browsable().filter(pk=lot_id).first()
        if lot is None:
            return []  # not (or no longer) something buyers browse: nothing to tell
        searches = saved_searches_matching(lot_id=lot.pk)
        inserted = _matches_insert(search_ids=[s.pk for s in searches], lot_id=lot.pk, event=event)
        by_owner: dict[int, list[SavedSearch]] = {}
        for search in searches:
            if search.pk in inserted:
                by_owner.setdefault(search.owner_id, []).append(search)
        to_email = []
        for owned in by_owner.values():
            [notice_id] = notifications_create(
                recipients=[owned[0].owner],
                lot=lot,
                message=_message(lot, event, owned),
                link=lot.get_absolute_url(),
            )
            SearchMatch.objects.filter(search__in=owned, lot=lot, event=event).update(
                notification_id=notice_id
            )
            if any(search.email for search in owned):
                to_email.append(notice_id)
        if to_email:
            transaction.on_commit(lambda: email_notifications.delay(to_email))
        return list(
            SearchMatch.objects.filter(search_id__in=inserted, lot=lot, event=event).order_by("pk")
        )
