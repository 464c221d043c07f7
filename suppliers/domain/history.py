"""A documented history is only evidence if its dates hang together: nothing happens in the
future, and nothing happens to a pack before it was made. One check, for the web form, the API
and every other way in."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MANUFACTURED = "manufactured"
# Events named by what the packs went through, for the messages.
LABELS = {
    "manufactured": "manufacture",
    "in_service": "entry into service",
    "removed": "removal from service",
}


@dataclass(frozen=True)
class HistoryProblem:
    index: int  # position of the event in what was given
    message: str


def history_problems(events: Iterable[tuple[str, date]], *, today: date) -> list[HistoryProblem]:
    """`events`: (kind, occurred_on) in the order given. Returns what is wrong, in that order."""
    events = list(events)
    problems = []
    made = [on for kind, on in events if kind == MANUFACTURED]
    earliest_made = min(made) if made else None
    for index, (kind, on) in enumerate(events):
        label = LABELS.get(kind, kind.replace("_", " "))
        if on > today:
            problems.append(
                HistoryProblem(index, f"The {label} date {on:%Y-%m-%d} is in the future.")
            )
        elif earliest_made and kind != MANUFACTURED and on < earliest_made:
            problems.append(
                HistoryProblem(
                    index,
                    f"The {label} date {on:%Y-%m-%d} is before the packs were made "
                    f"({earliest_made:%Y-%m-%d}).",
                )
            )
    if len(made) > 1:
        problems.append(HistoryProblem(len(events), "The packs can only be made once."))
    return problems
