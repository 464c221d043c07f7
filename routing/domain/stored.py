"""A decision as it is stored: each rule's outcome letter and the figures each rule showed.

The rule set a decision was taken under is stored beside it, so every word a decision shows (a
rule's threshold, value and explanation) is rendered from these and the rule set's thresholds:
`stored_checks()`. `stored_from_words()` goes the other way for decisions stored as words
before: it accepts a reading only if rendering it gives back exactly those words.

The stored form: `outcomes`, one letter per rule in RULE_NAMES order (rules.OUTCOME_CODES), and
`figures`, a JSON list with one entry per rule, null where the rule's value is fixed by its
outcome:

    0 chemistry-known   the chemistry, as recorded
    1 safety-events     fired: the safety events recorded, sorted
    3 lifetime-history  off: whether a history is recorded
    4 calendar-life     off: whether the calendar life has expired
    5 cell-floor        reached: [weakest cell SOH, where the weakest cell is, pack SOH, where
                        the pack SOH comes from]; a missing SOH is null
    6 nmc-reuse         fired: the resistance ratio, null if not measured

A non-finite number is stored as its text ("inf"), which JSON cannot carry as a number.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .engine import _compiled
from .rules import (
    KNOWN_CHEMISTRIES,
    NICKEL_CHEMISTRIES,
    OUTCOME_CODES,
    OUTCOME_FIRED,
    OUTCOME_NOT_REACHED,
    OUTCOME_OFF,
    OUTCOME_PASSED,
    RULE_NAMES,
    SAFETY_EVENTS,
    Decision,
    RuleCheck,
    Thresholds,
)

__all__ = [
    "StoredDecisionError",
    "decision_stored",
    "stored_checks",
    "stored_fired_names",
    "stored_from_words",
]

# The letters each rule can have, by position.
_LETTERS = ("PF", "PFN", "PFN", "POFN", "POFN", "PWMSN", "PHRXLN", "EACN")


class StoredDecisionError(ValueError):
    """A stored decision that no decision of the engine could have given."""


def _number_out(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return repr(value)


def _number_in(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number) or number != number:
            raise StoredDecisionError(f"{what} must be a number, got {value!r}")
        return number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StoredDecisionError(f"{what} must be a number, got {value!r}")
    return float(value)


def decision_stored(decision: Decision) -> tuple[str, list[Any]]:
    """The stored form of a decision from decide(): (outcomes, JSON-ready figures)."""
    if decision.outcomes is None:
        raise ValueError("only a decision made by decide() has a stored form")
    figures = list(decision.figures)
    floor = figures[5]
    if floor is not None:
        weakest, weakest_source, soh, source = floor
        figures[5] = [_number_out(weakest), weakest_source, _number_out(soh), source]
    if figures[6] is not None:
        figures[6] = _number_out(figures[6])
    return decision.outcomes, figures


def _checked(outcomes: object, figures: object) -> tuple[str, tuple]:
    """The stored form, checked entry by entry, with numbers back as floats."""
    if not isinstance(outcomes, str) or len(outcomes) != len(RULE_NAMES):
        raise StoredDecisionError(f"outcomes must be {len(RULE_NAMES)} letters, got {outcomes!r}")
    for rule, letter, allowed in zip(RULE_NAMES, outcomes, _LETTERS, strict=True):
        if letter not in allowed:
            raise StoredDecisionError(f"{rule}: no outcome {letter!r} (one of {allowed})")
    kinds = [OUTCOME_CODES[letter] for letter in outcomes]
    if kinds.count(OUTCOME_FIRED) != 1:
        raise StoredDecisionError(f"exactly one rule fires, not so in {outcomes!r}")
    at = kinds.index(OUTCOME_FIRED)
    if not set(kinds[:at]) <= {OUTCOME_PASSED, OUTCOME_OFF} or set(kinds[at + 1 :]) - {
        OUTCOME_NOT_REACHED
    }:
        raise StoredDecisionError(
            f"rules before the one that fired pass, after it wait: {outcomes!r}"
        )
    if not isinstance(figures, (list, tuple)) or len(figures) != len(RULE_NAMES):
        raise StoredDecisionError(f"figures must list {len(RULE_NAMES)} entries, got {figures!r}")
    chemistry, events, _, history, calendar, floor, ratio, _ = figures
    c_chem, c_safety, _, c_history, c_calendar, c_floor, c_nmc, _ = outcomes
    if c_chem == "P" and chemistry not in KNOWN_CHEMISTRIES:
        raise StoredDecisionError(f"chemistry-known passed for chemistry {chemistry!r}")
    if c_safety == "F" and not (
        isinstance(events, list) and events and set(events) <= SAFETY_EVENTS
    ):
        raise StoredDecisionError(f"safety-events fired without safety events: {events!r}")
    for rule, letter, flag in (("history", c_history, history), ("calendar", c_calendar, calendar)):
        if letter == "O" and not isinstance(flag, bool):
            raise StoredDecisionError(f"{rule} off needs true or false, got {flag!r}")
    if c_floor != "N":
        if not (isinstance(floor, (list, tuple)) and len(floor) == 4):
            raise StoredDecisionError(f"cell-floor needs 4 figures, got {floor!r}")
        weakest, weakest_source, soh, source = floor
        if not isinstance(weakest_source, str) or not isinstance(source, str):
            raise StoredDecisionError(f"cell-floor sources must be text, got {floor!r}")
        floor = (
            _number_in(weakest, "weakest cell SOH"),
            weakest_source,
            _number_in(soh, "pack SOH"),
            source,
        )
        if floor[2] is None and c_floor in "PS":
            raise StoredDecisionError("cell-floor passed or fired on a pack SOH it does not have")
    if c_nmc != "N":
        nickel = chemistry in NICKEL_CHEMISTRIES
        if nickel == (c_nmc == "P"):
            raise StoredDecisionError(f"nmc-reuse {c_nmc!r} for chemistry {chemistry!r}")
        ratio = _number_in(ratio, "resistance ratio")
    return outcomes, (chemistry, events, None, history, calendar, floor, ratio, None)


def stored_checks(
    outcomes: object, figures: object, thresholds: Thresholds
) -> tuple[RuleCheck, ...]:
    """Every rule of a stored decision, in words, under the rule set it was taken with."""
    outcomes, figures = _checked(outcomes, figures)
    return _compiled(thresholds).render(outcomes, figures)


def stored_fired_names(outcomes: str) -> list[str]:
    """The names of the rules that fired, from the outcome letters alone (no words needed)."""
    return [
        name
        for name, letter in zip(RULE_NAMES, outcomes, strict=True)
        if OUTCOME_CODES[letter] == OUTCOME_FIRED
    ]


# Reading decisions stored as words (the form before this one).

_PACK_SOH = re.compile(r"(\S+) % \((.*)\)", re.DOTALL)
_WEAKEST = re.compile(r"(\S+) %(?: \((.*)\))?", re.DOTALL)
_FIRED_LETTERS = {5: "WMS", 6: "HRXL", 7: "EAC"}


def _chemistry(value: str) -> object:
    if value == "chemistry unknown":
        return "unknown"
    text = value.removeprefix("chemistry ")
    if text.endswith(" (not recognised)"):
        try:
            return ast.literal_eval(text.removesuffix(" (not recognised)"))
        except (ValueError, SyntaxError):
            return None
    return text


def _floor_readings(value: str) -> list[list[Any]]:
    """Every way the cell floor's value splits into its figures (a source may hold anything,
    ", pack SOH " included); the caller keeps the one that renders back to the words."""
    splits = []
    if value.startswith("weakest cell ") and value.endswith(", no pack SOH figure"):
        splits.append((value[13:-20], None, ""))
    at = value.find(", pack SOH ")
    while at != -1:
        if value.startswith("weakest cell ") and (match := _PACK_SOH.fullmatch(value, at + 11)):
            splits.append((value[13:at], float(match[1]), match[2]))
        at = value.find(", pack SOH ", at + 1)
    readings = []
    for weakest_text, soh, source in splits:
        if weakest_text == "not measured":
            readings.append([None, "", soh, source])
        elif match := _WEAKEST.fullmatch(weakest_text):
            readings.append([float(match[1]), match[2] or "", soh, source])
    return readings


def _readings(words: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The figures the words may have been rendered from, most likely first."""
    figures: list[Any] = [None] * len(RULE_NAMES)
    figures[0] = _chemistry(words[0]["value"])
    if words[1]["outcome"] == OUTCOME_FIRED:
        figures[1] = words[1]["value"].removeprefix("recorded: ").split(", ")
    for at, off_when in ((3, "history recorded"), (4, "past calendar-life expiry")):
        if words[at]["outcome"] == OUTCOME_OFF:
            figures[at] = words[at]["value"] == off_when
    if words[5]["outcome"] == OUTCOME_NOT_REACHED:
        return [figures]
    if words[6]["outcome"] == OUTCOME_FIRED:
        ratio = words[6]["value"].rpartition(", resistance ")[2]
        figures[6] = None if ratio == "not measured" else float(ratio.removesuffix(" x baseline"))
    return [[*figures[:5], floor, *figures[6:]] for floor in _floor_readings(words[5]["value"])]


def stored_from_words(
    words: Sequence[Mapping[str, Any]], thresholds: Thresholds
) -> tuple[str, list[Any]] | None:
    """The stored form of a decision kept as words, or None where no stored form renders
    exactly those words under `thresholds` (the words then have to be kept as they are)."""
    try:
        names = [rule["name"] for rule in words]
        if names != list(RULE_NAMES):
            return None
        kinds = [rule["outcome"] for rule in words]
        if kinds.count(OUTCOME_FIRED) != 1:
            return None
        letters = [
            {OUTCOME_PASSED: "P", OUTCOME_OFF: "O", OUTCOME_NOT_REACHED: "N"}.get(kind, "F")
            for kind in kinds
        ]
        readings = _readings(words)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    at = kinds.index(OUTCOME_FIRED)
    want = [dict(rule) for rule in words]
    for figures in readings:
        for letter in _FIRED_LETTERS.get(at, "F"):
            letters[at] = letter
            outcomes = "".join(letters)
            try:
                checks = stored_checks(outcomes, figures, thresholds)
            except (StoredDecisionError, KeyError, TypeError, ValueError):
                continue
            if [check.to_dict() for check in checks] == want:
                return outcomes, _json_ready(figures)
    return None


def _json_ready(figures: list[Any]) -> list[Any]:
    if figures[5] is not None:
        weakest, weakest_source, soh, source = figures[5]
        figures[5] = [_number_out(weakest), weakest_source, _number_out(soh), source]
    figures[6] = _number_out(figures[6])
    return figures
