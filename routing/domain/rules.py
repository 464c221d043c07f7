"""The routing vocabulary: routes, rule names, and the dataclasses that cross the boundary.

Pure standard-library Python (DESIGN.md, "Architecture"): the Django side builds PackFacts and
Thresholds from its models and stores a Decision's compact form (stored.py); nothing here knows
about Django.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import FrozenInstanceError, dataclass, fields
from decimal import Decimal
from operator import itemgetter
from typing import Any

ROUTE_REUSE_ESS = "reuse-ESS"
ROUTE_SMALL_APPLICATION = "small-application"
ROUTE_RECYCLE = "recycle"
ROUTE_HOLD = "hold"
ROUTES = (ROUTE_REUSE_ESS, ROUTE_SMALL_APPLICATION, ROUTE_RECYCLE, ROUTE_HOLD)

CHEMISTRIES = ("LFP", "NMC", "NCA", "LMO", "LTO", "unknown")
KNOWN_CHEMISTRIES = ("LFP", "NMC", "NCA", "LMO", "LTO")
# High nickel/cobalt value makes the earlier exit to recycling pay, hence their own rule.
NICKEL_CHEMISTRIES = frozenset({"NMC", "NCA"})

SAFETY_EVENTS = frozenset({"thermal-event", "swelling", "crash-damage", "leak", "flood"})
DEEP_DISCHARGE = "deep-discharge"

OUTCOME_FIRED = "fired"
OUTCOME_PASSED = "passed"
OUTCOME_OFF = "off"
OUTCOME_NOT_REACHED = "not reached"
OUTCOMES = (OUTCOME_FIRED, OUTCOME_PASSED, OUTCOME_OFF, OUTCOME_NOT_REACHED)

# A decision's outcome of each rule, one letter per rule. A fired rule's letter also says which
# of its explanations applies: the cell floor fires on the weakest cell (W), on a missing pack
# figure (M) or on the pack's SOH (S); the NMC rule holds for a missing resistance (H), reuses
# (R), or recycles on resistance (X) or on SOH (L); the capacity band gives reuse-ESS (E),
# small-application (A) or recycle (C). Every other rule fires with F.
OUTCOME_CODES = {
    "P": OUTCOME_PASSED,
    "O": OUTCOME_OFF,
    "N": OUTCOME_NOT_REACHED,
    **dict.fromkeys("FWMSHRXLEAC", OUTCOME_FIRED),
}

RULE_CHEMISTRY = "chemistry-known"
RULE_SAFETY = "safety-events"
RULE_DEEP_DISCHARGE = "deep-discharge"
RULE_HISTORY = "lifetime-history"
RULE_CALENDAR = "calendar-life"
RULE_CELL_FLOOR = "cell-floor"
RULE_NMC = "nmc-reuse"
RULE_CAPACITY = "capacity-band"
# The evaluation order; every Decision lists its checks in exactly this order.
RULE_NAMES = (
    RULE_CHEMISTRY,
    RULE_SAFETY,
    RULE_DEEP_DISCHARGE,
    RULE_HISTORY,
    RULE_CALENDAR,
    RULE_CELL_FLOOR,
    RULE_NMC,
    RULE_CAPACITY,
)


@dataclass(frozen=True)
class PackFacts:
    """What the engine needs to know about one pack (or a lot of identical packs)."""

    chemistry: str
    soh_pct: float | None
    weakest_cell_soh_pct: float | None = None
    resistance_ratio: float | None = None
    events: frozenset[str] = frozenset()
    has_history: bool = True
    calendar_expired: bool = False
    verified: bool = False
    # Where soh_pct comes from, in words ("measured on pack P-3", "claimed for pack P-7");
    # empty: "measured" when verified, else "claimed".
    soh_source: str = ""
    weakest_cell_source: str = ""  # e.g. "pack P-3": a lot's weakest cell is in one pack


@dataclass(frozen=True)
class Thresholds:
    """An editable rule set's numbers and switches; the defaults are DESIGN.md's."""

    reuse_ess_min_soh_pct: float = 60.0
    small_application_min_soh_pct: float = 20.0
    weakest_cell_min_soh_pct: float = 20.0
    nmc_reuse_min_soh_pct: float = 80.0
    nmc_max_resistance_ratio: float = 1.5
    require_history: bool = True
    recycle_calendar_expired: bool = True
    warranty_lfp_reuse_ess: str = "2 years or 1,000 cycles to 70 % residual capacity"
    warranty_nmc_reuse_ess: str = (
        "1 year or 500 cycles to 70 % residual capacity, with monthly cycle monitoring"
    )
    warranty_small_application: str = "1 year or 500 cycles to 70 % residual capacity"

    def __post_init__(self) -> None:
        # Validate here rather than only in from_dict so a rule set built in code (or from a
        # DecimalField) can never carry a value the engine would silently mis-compare.
        for name, kind in _THRESHOLD_KINDS.items():
            value = getattr(self, name)
            if kind is float:
                object.__setattr__(self, name, _threshold_number(name, value))
            elif kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false, got {_type_name(value)}")
            elif not isinstance(value, str):
                raise ValueError(f"{name} must be text, got {_type_name(value)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; every field, so a stored rule set documents itself."""
        return {name: getattr(self, name) for name in _THRESHOLD_KINDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        """Build from stored JSON: missing keys take the defaults, unknown keys are an error."""
        if not isinstance(data, dict):
            raise ValueError(f"thresholds must be a mapping, got {_type_name(data)}")
        unknown = sorted(str(key) for key in data if key not in _THRESHOLD_KINDS)
        if unknown:
            raise ValueError(f"unknown threshold keys: {', '.join(unknown)}")
        return cls(**data)


_THRESHOLD_KINDS: dict[str, type] = {f.name: type(f.default) for f in fields(Thresholds)}


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _threshold_number(name: str, value: object) -> float:
    # bool is an int subclass; a checkbox value in a number field is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise ValueError(f"{name} must be a number, got {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return number


@dataclass(frozen=True)
class RuleCheck:
    """One rule as checked for one decision, worded for the buyer and the auditor."""

    name: str
    threshold: str
    value: str
    outcome: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "threshold": self.threshold,
            "value": self.value,
            "outcome": self.outcome,
            "explanation": self.explanation,
        }


def _refuse(name: str) -> Any:
    def refuse(self: object, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    return refuse


class Decision(tuple):
    """A route, whether it is provisional, its warranty terms and every rule checked.

    decide() builds it compactly: `outcomes` holds one letter per rule (see OUTCOME_CODES) and
    `figures` the pack's own figures each rule showed, one entry per rule; the words of `checks`
    are rendered from those and the rule set the first time they are read. Storage keeps only
    the compact form (see stored.py). A Decision built from checks directly has only the words.
    Frozen, compared, hashed and shown by its words, like the dataclass it replaces; a tuple
    underneath only because that is the cheapest immutable record to build, a million a second.
    """

    __slots__ = ()

    def __new__(
        cls, route: str, provisional: bool, warranty: str, checks: tuple[RuleCheck, ...]
    ) -> Decision:
        # (route, provisional, warranty, outcomes, figures, compiled rules, [checks or None])
        return tuple.__new__(cls, (route, provisional, warranty, None, None, None, [tuple(checks)]))

    route = property(itemgetter(0), _refuse("route"))
    provisional = property(itemgetter(1), _refuse("provisional"))
    warranty = property(itemgetter(2), _refuse("warranty"))
    outcomes = property(itemgetter(3), _refuse("outcomes"), doc="One letter per rule, or None")
    figures = property(itemgetter(4), _refuse("figures"), doc="Each rule's figures, or None")

    def _checks(self) -> tuple[RuleCheck, ...]:
        cache = self[6]
        checks = cache[0]
        if checks is None:
            checks = cache[0] = self[5].render(self[3], self[4])
        return checks

    checks = property(_checks, _refuse("checks"), doc="Every rule checked, in words")

    def _key(self) -> tuple[str, bool, str, tuple[RuleCheck, ...]]:
        return (self[0], self[1], self[2], self._checks())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        if self[5] is not None and self[:6] == other[:6]:
            return True  # the same figures under the same rules: the same words
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Decision(route={self[0]!r}, provisional={self[1]!r}, "
            f"warranty={self[2]!r}, checks={self._checks()!r})"
        )

    def __reduce__(self) -> tuple[type, tuple[str, bool, str, tuple[RuleCheck, ...]]]:
        return (Decision, self._key())

    @property
    def fired(self) -> RuleCheck:
        """The rule that decided the route."""
        for check in self.checks:
            if check.outcome == OUTCOME_FIRED:
                return check
        raise LookupError("no rule fired")  # decide() never builds such a Decision

    @property
    def reasons(self) -> list[str]:
        return [check.explanation for check in self.checks if check.outcome == OUTCOME_FIRED]

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "provisional": self.provisional,
            "warranty": self.warranty,
            "rules": [check.to_dict() for check in self.checks],
        }
