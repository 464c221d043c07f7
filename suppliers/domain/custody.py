"""Who held the packs, from manufacture to today, and where the record has gaps.

Events are evidence of a holder on a date: the maker at manufacture (where the event names
it), the operator who put the packs into service or took them out (where the event names it),
and both sides of a custody transfer. A holder keeps the packs until the record shows someone
else with them. A gap is a period with no known holder: after a manufacture that names no
maker, after a transfer that names no recipient, or between a holder last seen and a different
holder next seen without a transfer between them (a transfer from X when the packs were last
with Y: when and how X got them from Y is not recorded).

Pure Python: plain values in, plain values out."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .history import (
    CUSTODY_TRANSFER,
    IN_SERVICE,
    MANUFACTURED,
    REMOVED,
    HistoryFact,
    history_problems,
    holder_key,
)

# Events whose actor, where given, names who held the packs that day.
HOLDER_NAMING_KINDS = frozenset({MANUFACTURED, IN_SERVICE, REMOVED})


@dataclass(frozen=True)
class CustodyEvent:
    kind: str
    occurred_on: date
    actor: str = ""
    custody_from: str = ""
    custody_to: str = ""


@dataclass(frozen=True)
class CustodyPeriod:
    """`holder` held the packs from `start` to `end` (both days included); None is a gap."""

    start: date
    end: date
    holder: str | None
    note: str = ""  # what the record says either side of a gap

    @property
    def is_gap(self) -> bool:
        return self.holder is None

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class CustodyChain:
    periods: tuple[CustodyPeriod, ...] = ()
    # False: no manufacture date, so the chain starts at the first event and what came
    # before it is unknown.
    from_manufacture: bool = False
    holders: tuple[str, ...] = ()  # each holder with a period of its own, once, in order

    @property
    def gaps(self) -> tuple[CustodyPeriod, ...]:
        return tuple(p for p in self.periods if p.is_gap)

    @property
    def start(self) -> date | None:
        return self.periods[0].start if self.periods else None

    @property
    def end(self) -> date | None:
        return self.periods[-1].end if self.periods else None

    @property
    def any_holder_known(self) -> bool:
        return bool(self.holders)


@dataclass
class _Walk:
    """The holder being followed: who, since when, last seen when."""

    today: date
    periods: list[CustodyPeriod] = field(default_factory=list)
    holder: str | None = None
    since: date | None = None
    last_seen: date | None = None
    gap_note: str = ""

    def close_gap(self, until: date, note: str) -> None:
        """The gap running since `since` ends at `until`, where the next holder shows."""
        if self.since is not None and until > self.since:
            self.periods.append(CustodyPeriod(self.since, until, None, self.gap_note or note))

    def holder_seen(self, name: str, on: date, *, took_over: bool = False) -> None:
        if self.holder is not None and holder_key(self.holder) == holder_key(name):
            self.last_seen = on
            return
        if self.holder is not None:
            # Someone else has them now: the current holder's period ends when last seen,
            # and unless this is a handover recorded between them, what follows is a gap.
            self.periods.append(CustodyPeriod(self.since, self.last_seen, self.holder))
            if not took_over and on > self.last_seen:
                self.periods.append(
                    CustodyPeriod(
                        self.last_seen,
                        on,
                        None,
                        f"With {self.holder} on {self.last_seen:%Y-%m-%d}, with {name} on "
                        f"{on:%Y-%m-%d}: the handover is not recorded.",
                    )
                )
        else:
            self.close_gap(on, f"No holder recorded before {name} on {on:%Y-%m-%d}.")
        self.holder, self.since, self.last_seen, self.gap_note = name, on, on, ""

    def holder_unknown(self, on: date, note: str) -> None:
        """From `on`, nobody is recorded as holding the packs."""
        if self.holder is not None:
            self.periods.append(CustodyPeriod(self.since, self.last_seen, self.holder))
            start = self.last_seen
        else:
            self.close_gap(on, note)
            start = on if self.since is None or on > self.since else self.since
        self.holder, self.since, self.last_seen, self.gap_note = None, start, None, note

    def finish(self) -> None:
        if self.since is None:
            return
        if self.holder is not None:
            self.periods.append(CustodyPeriod(self.since, self.today, self.holder))
        elif self.today > self.since or not self.periods:
            self.periods.append(
                CustodyPeriod(
                    self.since, self.today, None, self.gap_note or "No holder recorded since."
                )
            )


def custody_chain(events: Iterable[CustodyEvent], *, today: date) -> CustodyChain:
    """The periods of holders and gaps from manufacture (or the first event) to `today`,
    in order, each starting where the one before ended."""
    known = [e for e in events if e.occurred_on <= today]
    if not known:
        return CustodyChain()
    made = [e.occurred_on for e in known if e.kind == MANUFACTURED]
    start = min(made) if made else min(e.occurred_on for e in known)
    # An event dated before manufacture (refused on entry, but perhaps recorded earlier)
    # counts from manufacture; the manufacture comes first on its day.
    ordered = sorted(
        enumerate(known),
        key=lambda item: (max(item[1].occurred_on, start), item[1].kind != MANUFACTURED, item[0]),
    )
    walk = _Walk(today=today)
    walk.holder_unknown(start, "Who held the packs after manufacture is not recorded."
                        if made else "Nothing is recorded before this.")  # fmt: skip
    for _, event in ordered:
        on = max(event.occurred_on, start)
        if event.kind == CUSTODY_TRANSFER:
            _transfer(walk, event, on)
        elif event.kind in HOLDER_NAMING_KINDS and event.actor.strip():
            walk.holder_seen(event.actor.strip(), on)
    walk.finish()
    periods = _tidy(walk.periods)
    holders: dict[str, str] = {}
    for period in periods:
        if period.holder is not None:
            holders.setdefault(holder_key(period.holder), period.holder)
    return CustodyChain(
        periods=periods, from_manufacture=bool(made), holders=tuple(holders.values())
    )


def _tidy(periods: list[CustodyPeriod]) -> tuple[CustodyPeriod, ...]:
    """Without periods of no length (a holder known for one day between two others says no
    more than the gap notes do), and with one holder's adjacent periods joined."""
    kept: list[CustodyPeriod] = []
    for period in periods:
        if period.end <= period.start:
            continue
        previous = kept[-1] if kept else None
        if (
            previous is not None
            and previous.holder is not None
            and period.holder is not None
            and holder_key(previous.holder) == holder_key(period.holder)
        ):
            kept[-1] = CustodyPeriod(previous.start, period.end, previous.holder)
        else:
            kept.append(period)
    return tuple(kept) or tuple(periods[-1:])


def _transfer(walk: _Walk, event: CustodyEvent, on: date) -> None:
    giver, taker = event.custody_from.strip(), event.custody_to.strip()
    if giver:
        walk.holder_seen(giver, on)
    elif walk.holder is not None:
        walk.holder_unknown(on, f"The transfer on {on:%Y-%m-%d} does not say who handed the "
                                "packs over.")  # fmt: skip
    if taker:
        walk.holder_seen(taker, on, took_over=bool(giver))
    else:
        walk.holder_unknown(on, f"The transfer on {on:%Y-%m-%d} does not say who took the packs.")


# Events that put a pack's safety in question (suppliers.choices.ROUTING_EVENT_NAMES).
SAFETY_KINDS = frozenset(
    {"accident", "thermal_event", "swelling", "leak", "flood", "deep_discharge"}
)


@dataclass(frozen=True)
class HistoryFlags:
    """What buyers filter a lot's history by."""

    safety_events: int  # events of SAFETY_KINDS, for the lot or any of its packs
    custody_complete: bool


def history_flags(facts: Iterable[HistoryFact], *, today: date) -> HistoryFlags:
    """The chain of custody is complete when it runs from manufacture to today with a known
    holder throughout (the chain the lot page draws, from all the lot's events) and the
    history has nothing history_problems refuses."""
    facts = list(facts)
    chain = custody_chain(
        (CustodyEvent(f.kind, f.occurred_on, f.actor, f.custody_from, f.custody_to)
         for f in facts),
        today=today,
    )  # fmt: skip
    complete = (
        chain.from_manufacture
        and bool(chain.periods)
        and not chain.gaps
        and not history_problems(facts, today=today)
    )
    return HistoryFlags(
        safety_events=sum(f.kind in SAFETY_KINDS for f in facts), custody_complete=complete
    )
