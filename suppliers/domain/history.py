"""A documented history is only evidence if it hangs together: nothing happens in the future,
nothing happens to a pack before it was made or after it left service before it entered it,
and a chain of custody names who handed the packs over and who took them, each transfer from
the holder the one before it handed them to. One check, for the web form, the API and every
other way in.

A lot's history holds events for every pack of the lot (`pack` None) and events for one pack;
each pack's own story is the lot's events with its own, and each story is checked."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

MANUFACTURED = "manufactured"
IN_SERVICE = "in_service"
REMOVED = "removed"
CUSTODY_TRANSFER = "custody_transfer"
# Events named by what the packs went through, for the messages.
LABELS = {
    MANUFACTURED: "manufacture",
    IN_SERVICE: "entry into service",
    REMOVED: "removal from service",
}
# A VIN (ISO 3779): 17 letters and digits, never I, O or Q (read as 1 and 0).
VIN_LENGTH = 17
VIN_CHARACTERS = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")


@dataclass(frozen=True)
class HistoryFact:
    """One event as the rules see it: plain values."""

    kind: str
    occurred_on: date
    actor: str = ""
    vin: str = ""
    custody_from: str = ""
    custody_to: str = ""
    pack: int | None = None  # any stable id of the pack it concerns; None: every pack


@dataclass(frozen=True)
class HistoryProblem:
    index: int  # position of the event in what was given
    message: str
    field: str = "occurred_on"  # the event's field the problem is about


def is_vin(text: str) -> bool:
    """Whether `text` (upper case) is a VIN."""
    return len(text) == VIN_LENGTH and set(text) <= VIN_CHARACTERS


def holder_key(name: str) -> str:
    """Names of one holder compare whatever their case and spacing ("ACME  Ltd" is "acme ltd")."""
    return " ".join(name.split()).casefold()


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " "))


def _fact(event: HistoryFact | tuple[str, date]) -> HistoryFact:
    return event if isinstance(event, HistoryFact) else HistoryFact(event[0], event[1])


def history_problems(
    events: Iterable[HistoryFact | tuple[str, date]], *, today: date
) -> list[HistoryProblem]:
    """`events` in the order given, as facts or (kind, occurred_on). Returns what is wrong,
    each problem once, ordered by the event it concerns."""
    facts = [_fact(e) for e in events]
    found: dict[tuple[int, str], HistoryProblem] = {}
    for index, fact in enumerate(facts):
        for message, field in _own_problems(fact, today=today):
            found.setdefault((index, message), HistoryProblem(index, message, field))
    for story in _stories(facts):
        for problem in _story_problems(story, facts):
            found.setdefault((problem.index, problem.message), problem)
    return sorted(found.values(), key=lambda problem: problem.index)


def _own_problems(fact: HistoryFact, *, today: date) -> list[tuple[str, str]]:
    """What is wrong with one event whatever else the history holds."""
    problems = []
    if fact.occurred_on > today:
        problems.append(
            (
                f"The {label(fact.kind)} date {fact.occurred_on:%Y-%m-%d} is in the future.",
                "occurred_on",
            )
        )
    if fact.kind == CUSTODY_TRANSFER:
        given_from, given_to = holder_key(fact.custody_from), holder_key(fact.custody_to)
        on = f"{fact.occurred_on:%Y-%m-%d}"
        if not given_from and not given_to:
            problems.append((f"The custody transfer on {on} needs who handed the packs over "
                             "(from) and who took them (to).", "custody_from"))  # fmt: skip
        elif not given_from:
            problems.append(
                (f"The custody transfer on {on} needs who handed the packs over (from).",
                 "custody_from")
            )  # fmt: skip
        elif not given_to:
            problems.append(
                (f"The custody transfer on {on} needs who took the packs (to).", "custody_to")
            )
        elif given_from == given_to:
            problems.append((f"The custody transfer on {on} is from {fact.custody_from.strip()} "
                             "to the same holder.", "custody_to"))  # fmt: skip
    vin = fact.vin.strip().upper()
    if vin and not is_vin(vin):
        problems.append((f"The VIN {fact.vin.strip()} is not a vehicle identification number: "
                         "17 letters and digits, without I, O or Q.", "vin"))  # fmt: skip
    return problems


# A pack's own date of manufacture or removal is more precise than the lot's, which stands
# for the packs that give none: in that pack's story the pack's own replaces the lot's.
SUPERSEDED = frozenset({MANUFACTURED, REMOVED})


def _stories(facts: Sequence[HistoryFact]) -> list[list[int]]:
    """Indices of each story: the lot-wide events, and for each pack those with its own."""
    shared = [i for i, f in enumerate(facts) if f.pack is None]
    packs = sorted({f.pack for f in facts if f.pack is not None}, key=str)
    stories = [shared]
    for pack in packs:
        own = [i for i, f in enumerate(facts) if f.pack == pack]
        replaced = {facts[i].kind for i in own} & SUPERSEDED
        kept = [i for i in shared if facts[i].kind not in replaced]
        stories.append(sorted(kept + own))
    return stories


def _story_problems(story: list[int], facts: Sequence[HistoryFact]) -> list[HistoryProblem]:
    problems = []
    made = [i for i in story if facts[i].kind == MANUFACTURED]
    # Made once: every manufacture after the first given is the one refused.
    problems += [HistoryProblem(i, "The packs can only be made once.", "kind") for i in made[1:]]
    earliest_made = min((facts[i].occurred_on for i in made), default=None)
    in_service = [facts[i].occurred_on for i in story if facts[i].kind == IN_SERVICE]
    first_service = min(in_service, default=None)
    for i in story:
        fact = facts[i]
        if earliest_made and fact.kind != MANUFACTURED and fact.occurred_on < earliest_made:
            problems.append(
                HistoryProblem(
                    i,
                    f"The {label(fact.kind)} date {fact.occurred_on:%Y-%m-%d} is before the "
                    f"packs were made ({earliest_made:%Y-%m-%d}).",
                )
            )
        elif fact.kind == REMOVED and first_service and fact.occurred_on < first_service:
            problems.append(
                HistoryProblem(
                    i,
                    f"The removal from service date {fact.occurred_on:%Y-%m-%d} is before the "
                    f"packs entered service ({first_service:%Y-%m-%d}).",
                )
            )
    problems += _chain_problems(story, facts)
    return problems


def _chain_problems(story: list[int], facts: Sequence[HistoryFact]) -> list[HistoryProblem]:
    """Consecutive transfers chain: each is from the holder the one before it went to."""
    transfers = sorted(
        (i for i in story if facts[i].kind == CUSTODY_TRANSFER),
        key=lambda i: (facts[i].occurred_on, i),
    )
    problems = []
    for before, after in pairwise(transfers):
        went_to, came_from = facts[before].custody_to, facts[after].custody_from
        if not holder_key(went_to) or not holder_key(came_from):
            continue  # a transfer without its holders is refused on its own
        if holder_key(went_to) != holder_key(came_from):
            problems.append(
                HistoryProblem(
                    after,
                    f"The custody transfer on {facts[after].occurred_on:%Y-%m-%d} is from "
                    f"{came_from.strip()}, but the transfer before it (on "
                    f"{facts[before].occurred_on:%Y-%m-%d}) handed the packs to "
                    f"{went_to.strip()}.",
                    "custody_from",
                )
            )
    return problems
