"""The routing rules engine: a pack's facts in, a route and every rule checked out.

The rule order and defaults are DESIGN.md, "Routing: the default rule set". decide() only
compares: it records each rule's outcome as one letter and the pack's own figures each rule
shows (Decision.outcomes, Decision.figures), and the words (threshold, value, explanation) are
rendered from those by _CompiledRules.render() when they are read. Everything that depends only
on the rule set is built once per Thresholds instance.
"""

from __future__ import annotations

from collections.abc import Sequence

from .rules import (
    DEEP_DISCHARGE,
    KNOWN_CHEMISTRIES,
    NICKEL_CHEMISTRIES,
    OUTCOME_FIRED,
    OUTCOME_NOT_REACHED,
    OUTCOME_OFF,
    OUTCOME_PASSED,
    ROUTE_HOLD,
    ROUTE_RECYCLE,
    ROUTE_REUSE_ESS,
    ROUTE_SMALL_APPLICATION,
    RULE_CALENDAR,
    RULE_CAPACITY,
    RULE_CELL_FLOOR,
    RULE_CHEMISTRY,
    RULE_DEEP_DISCHARGE,
    RULE_HISTORY,
    RULE_NAMES,
    RULE_NMC,
    RULE_SAFETY,
    SAFETY_EVENTS,
    Decision,
    PackFacts,
    RuleCheck,
    Thresholds,
)

__all__ = ["DEFAULT_THRESHOLDS", "decide"]

_EVENT_LABELS = {
    "thermal-event": "thermal event",
    "swelling": "swelling",
    "crash-damage": "crash damage",
    "leak": "leak",
    "flood": "flood",
}


# Decision is a tuple underneath: (route, provisional, warranty, outcomes, figures, compiled
# rules, [checks once rendered]); decide() builds it with one call, leaving the words for later.
_make = tuple.__new__


def _soh(value: float) -> str:
    return f"{value:.1f} %"


def _ratio(value: float) -> str:
    # Two decimals, not one: at one decimal a ratio of 1.46 would read "1.5 x" next to a
    # "< 1.5 x" limit it actually meets.
    return f"{value:.2f} x baseline"


class _CompiledRules:
    """Every text that depends only on the thresholds, built once per Thresholds instance.

    decide() then only formats the pack's own numbers, which keeps it in the microseconds.
    """

    def __init__(self, t: Thresholds) -> None:
        self.floor = t.weakest_cell_min_soh_pct
        self.nmc_min = t.nmc_reuse_min_soh_pct
        self.nmc_max_ratio = t.nmc_max_resistance_ratio
        self.reuse_min = t.reuse_ess_min_soh_pct
        self.small_min = t.small_application_min_soh_pct
        self.require_history = t.require_history
        self.recycle_calendar_expired = t.recycle_calendar_expired
        self.warranty_lfp = t.warranty_lfp_reuse_ess
        self.warranty_nmc = t.warranty_nmc_reuse_ess
        self.warranty_small = t.warranty_small_application
        # The history rule's letter and figure for a pack with a history, and the first five
        # letters and the calendar figure for a pack within its calendar life, by that letter.
        self.history_present = ("P", None) if self.require_history else ("O", True)
        calendar = ("P", None) if self.recycle_calendar_expired else ("O", False)
        self.heads_within = {h: ("PPP" + h + calendar[0], calendar[1]) for h in "PO"}

        floor = _soh(self.floor)
        nmc_min = _soh(self.nmc_min)
        nmc_max = f"{self.nmc_max_ratio:.2f} x"
        reuse_min = _soh(self.reuse_min)
        small_min = _soh(self.small_min)
        self.texts = {
            RULE_CHEMISTRY: f"chemistry is one of {', '.join(KNOWN_CHEMISTRIES)}",
            RULE_SAFETY: "no thermal event, swelling, crash damage, leak or flood recorded",
            RULE_DEEP_DISCHARGE: "no deep discharge below the maker's minimum voltage",
            RULE_HISTORY: "recorded lifetime history required (IEC 63338)",
            RULE_CALENDAR: "within the maker's calendar life (UL 1974, 2nd edition)",
            RULE_CELL_FLOOR: f"weakest cell and pack SOH >= {floor}",
            RULE_NMC: f"NMC/NCA: SOH > {nmc_min} and resistance < {nmc_max} baseline",
            RULE_CAPACITY: (
                f"SOH >= {reuse_min} reuse-ESS; {small_min} to < {reuse_min} "
                f"small-application; < {small_min} recycle"
            ),
        }
        th = self.texts

        def check(rule: str, value: str, outcome: str, explanation: str) -> RuleCheck:
            return RuleCheck(rule, th[rule], value, outcome, explanation)

        not_reached = [
            check(
                rule,
                "not checked",
                OUTCOME_NOT_REACHED,
                "Not checked, because an earlier rule already decided the route.",
            )
            for rule in RULE_NAMES
        ]
        self.not_reached = tuple(not_reached)

        self.chemistry_passed = {
            chem: check(
                RULE_CHEMISTRY,
                f"chemistry {chem}",
                OUTCOME_PASSED,
                f"The cell chemistry is known ({chem}).",
            )
            for chem in KNOWN_CHEMISTRIES
        }
        self.safety_passed = check(
            RULE_SAFETY,
            "none recorded",
            OUTCOME_PASSED,
            "The history records no thermal event, swelling, crash damage, leak or flood.",
        )
        self.deep_passed = check(
            RULE_DEEP_DISCHARGE, "none recorded", OUTCOME_PASSED, "No deep discharge is recorded."
        )
        self.deep_fired = check(
            RULE_DEEP_DISCHARGE,
            "deep discharge recorded",
            OUTCOME_FIRED,
            "The pack was discharged below the maker's minimum voltage, which can cause internal "
            "short circuits, so it is held for an auditor to decide with the test data.",
        )

        history_values = {True: "history recorded", False: "no history recorded"}
        history_off = {
            has: check(
                RULE_HISTORY,
                value,
                OUTCOME_OFF,
                "The IEC 63338 lifetime-history requirement is switched off in this rule set.",
            )
            for has, value in history_values.items()
        }
        self.history_off = history_off
        self.history_passed = check(
            RULE_HISTORY,
            history_values[True],
            OUTCOME_PASSED,
            "A lifetime history is recorded, as IEC 63338 requires before cells are reused.",
        )
        self.history_fired = check(
            RULE_HISTORY,
            history_values[False],
            OUTCOME_FIRED,
            "No lifetime history is recorded and IEC 63338 forbids reusing cells without one, "
            "so the pack is held until its history is documented.",
        )

        calendar_values = {False: "within calendar life", True: "past calendar-life expiry"}
        calendar_off = {
            expired: check(
                RULE_CALENDAR,
                value,
                OUTCOME_OFF,
                "The UL 1974 calendar-life rule is switched off in this rule set.",
            )
            for expired, value in calendar_values.items()
        }
        self.calendar_off = calendar_off
        self.calendar_passed = check(
            RULE_CALENDAR,
            calendar_values[False],
            OUTCOME_PASSED,
            "The pack is still within the maker's calendar life.",
        )
        self.calendar_fired = check(
            RULE_CALENDAR,
            calendar_values[True],
            OUTCOME_FIRED,
            "The pack is past the maker's calendar-life expiry, so under UL 1974 (2nd edition) "
            "it goes to recycling.",
        )

        self.nmc_not_applicable = {
            chem: check(
                RULE_NMC,
                f"chemistry {chem}",
                OUTCOME_PASSED,
                "This rule applies to NMC and NCA packs only.",
            )
            for chem in KNOWN_CHEMISTRIES
            if chem not in NICKEL_CHEMISTRIES
        }

        # Sentence tails; decide() prefixes the pack's own figure.
        self.floor_tail = (
            f", below the {floor} floor where a pack is unreliable and dangerous in any "
            "application, so it goes to recycling."
        )
        self.floor_passed = (
            f"The pack and its weakest cell are at or above the {floor} floor below which a pack "
            "is unsafe in any application."
        )
        self.floor_no_figure = (
            f"There is no pack SOH figure, so the {floor} floor cannot be checked; the pack is "
            "held until a figure is available."
        )
        self.nmc_reuse_tail = (
            f" SOH with resistance below {nmc_max} baseline, so it can be reused in stationary "
            "storage under a short warranty with close cycle monitoring."
        )
        self.nmc_no_ratio_tail = (
            f" SOH, above {nmc_min}, but its internal resistance has not been measured, so it is "
            "held until that figure is available (missing, not failed)."
        )
        self.nmc_low_soh_tail = (
            f" SOH, not above the {nmc_min} needed for reuse, and for NMC and NCA the high "
            "cobalt and nickel value makes recycling pay earlier."
        )
        self.nmc_high_ratio_tail = (
            f", not below the {nmc_max} limit, so it goes to recycling, where the high cobalt "
            "and nickel value pays."
        )
        self.band_reuse_tail = (
            f" SOH, at or above {reuse_min}, the pack keeps enough capacity for pack-level reuse "
            "in stationary energy storage."
        )
        self.band_small_tail = (
            f" SOH, between {small_min} and {reuse_min}, the pack suits smaller applications "
            "such as backup power, telecom towers and low-speed vehicles."
        )
        self.band_recycle_tail = (
            f" SOH, below the {small_min} needed for any reuse, the pack goes to recycling."
        )

    def chemistry_fired(self, chemistry: object) -> RuleCheck:
        if chemistry == "unknown":
            value = "chemistry unknown"
        else:
            value = f"chemistry {chemistry!r} (not recognised)"
        return RuleCheck(
            RULE_CHEMISTRY,
            self.texts[RULE_CHEMISTRY],
            value,
            OUTCOME_FIRED,
            "The cell chemistry is not known, so the pack is held for an auditor: the chemistry "
            "must be clear before any route is chosen.",
        )

    def safety_fired(self, events: frozenset[str]) -> RuleCheck:
        found = sorted(SAFETY_EVENTS.intersection(events))
        labels = ", ".join(_EVENT_LABELS[event] for event in found)
        return RuleCheck(
            RULE_SAFETY,
            self.texts[RULE_SAFETY],
            "recorded: " + ", ".join(found),
            OUTCOME_FIRED,
            f"The history records a safety event ({labels}), so the pack goes to recycling "
            "rather than reuse.",
        )

    def render(self, outcomes: str, figures: Sequence) -> tuple[RuleCheck, ...]:
        """The words of every rule of a decision, from its outcome letters and figures.

        Trusts its input: decide() builds it, and stored.py checks stored rows before asking.
        """
        chemistry, events, _, has_history, expired, floor_figures, ratio, _ = figures
        c_chem, c_safety, c_deep, c_history, c_calendar, c_floor, c_nmc, c_band = outcomes
        not_reached = self.not_reached
        th = self.texts
        checks = [
            self.chemistry_passed[chemistry] if c_chem == "P" else self.chemistry_fired(chemistry),
            {"P": self.safety_passed, "N": not_reached[1]}.get(c_safety)
            or self.safety_fired(frozenset(events)),
            {"P": self.deep_passed, "F": self.deep_fired, "N": not_reached[2]}[c_deep],
            self.history_off[has_history]
            if c_history == "O"
            else {"P": self.history_passed, "F": self.history_fired, "N": not_reached[3]}[
                c_history
            ],
            self.calendar_off[expired]
            if c_calendar == "O"
            else {"P": self.calendar_passed, "F": self.calendar_fired, "N": not_reached[4]}[
                c_calendar
            ],
        ]
        if c_floor == "N":
            return (*checks, *not_reached[5:])
        weakest, weakest_source, soh, source = floor_figures
        soh_text = "no figure" if soh is None else _soh(soh)
        weakest_text = "not measured" if weakest is None else _soh(weakest)
        if weakest is not None and weakest_source:
            weakest_text = f"{weakest_text} ({weakest_source})"
        if soh is None:
            floor_value = f"weakest cell {weakest_text}, no pack SOH figure"
        else:
            floor_value = f"weakest cell {weakest_text}, pack SOH {soh_text} ({source})"
        explanation = {
            "W": f"The weakest cell is at {weakest_text} SOH{self.floor_tail}",
            "M": self.floor_no_figure,
            "S": f"The pack is at {soh_text} SOH{self.floor_tail}",
            "P": self.floor_passed,
        }[c_floor]
        outcome = OUTCOME_PASSED if c_floor == "P" else OUTCOME_FIRED
        checks.append(
            RuleCheck(RULE_CELL_FLOOR, th[RULE_CELL_FLOOR], floor_value, outcome, explanation)
        )
        if c_nmc == "N":
            return (*checks, *not_reached[6:])
        if c_nmc == "P":
            checks.append(self.nmc_not_applicable[chemistry])
        else:
            ratio_text = "not measured" if ratio is None else _ratio(ratio)
            prefix = f"This {chemistry} pack is at {soh_text}"
            explanation = {
                "H": prefix + self.nmc_no_ratio_tail,
                "R": prefix + self.nmc_reuse_tail,
                "X": f"This {chemistry} pack's internal resistance is {ratio_text}"
                + self.nmc_high_ratio_tail,
                "L": prefix + self.nmc_low_soh_tail,
            }[c_nmc]
            nmc_value = f"SOH {soh_text} ({source}), resistance {ratio_text}"
            checks.append(RuleCheck(RULE_NMC, th[RULE_NMC], nmc_value, OUTCOME_FIRED, explanation))
            return (*checks, not_reached[7])
        tail = {"E": self.band_reuse_tail, "A": self.band_small_tail, "C": self.band_recycle_tail}[
            c_band
        ]
        checks.append(
            RuleCheck(
                RULE_CAPACITY,
                th[RULE_CAPACITY],
                f"SOH {soh_text} ({source})",
                OUTCOME_FIRED,
                f"At {soh_text}{tail}",
            )
        )
        return tuple(checks)


def _compiled(thresholds: Thresholds) -> _CompiledRules:
    # Cached on the instance: Thresholds is frozen, so its texts can never go stale, and
    # dataclasses.replace() makes a new instance that compiles afresh.
    try:
        return thresholds.__dict__["_compiled"]
    except KeyError:
        compiled = _CompiledRules(thresholds)
        object.__setattr__(thresholds, "_compiled", compiled)
        return compiled


DEFAULT_THRESHOLDS = Thresholds()

_KNOWN = frozenset(KNOWN_CHEMISTRIES)


def decide(facts: PackFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Route one pack: the first rule that fires decides; every rule is recorded in order.

    Missing figures (None, or NaN, which compares false with everything and would slip through
    every rule) are recorded as None.
    """
    try:
        rules = thresholds.__dict__["_compiled"]
    except KeyError:
        rules = _compiled(thresholds)
    provisional = not facts.verified
    chemistry = facts.chemistry

    if chemistry not in _KNOWN:
        return _make(
            Decision,
            (
                ROUTE_HOLD,
                provisional,
                "",
                "FNNNNNNN",
                (chemistry, None, None, None, None, None, None, None),
                rules,
                [None],
            ),
        )

    events = facts.events
    if events:
        if not SAFETY_EVENTS.isdisjoint(events):
            found = sorted(SAFETY_EVENTS.intersection(events))
            return _make(
                Decision,
                (
                    ROUTE_RECYCLE,
                    provisional,
                    "",
                    "PFNNNNNN",
                    (chemistry, found, None, None, None, None, None, None),
                    rules,
                    [None],
                ),
            )
        if DEEP_DISCHARGE in events:
            return _make(
                Decision,
                (
                    ROUTE_HOLD,
                    provisional,
                    "",
                    "PPFNNNNN",
                    (chemistry, None, None, None, None, None, None, None),
                    rules,
                    [None],
                ),
            )

    if facts.has_history:
        history, history_figure = rules.history_present
    elif rules.require_history:
        return _make(
            Decision,
            (
                ROUTE_HOLD,
                provisional,
                "",
                "PPPFNNNN",
                (chemistry, None, None, None, None, None, None, None),
                rules,
                [None],
            ),
        )
    else:
        history, history_figure = "O", False

    if not facts.calendar_expired:
        head, calendar_figure = rules.heads_within[history]
    elif rules.recycle_calendar_expired:
        return _make(
            Decision,
            (
                ROUTE_RECYCLE,
                provisional,
                "",
                "PPP" + history + "FNNN",
                (chemistry, None, None, history_figure, None, None, None, None),
                rules,
                [None],
            ),
        )
    else:
        head, calendar_figure = "PPP" + history + "O", True

    # Rule 3, the floor. The pack figure is the first one any rule needs, so "no figure" holds
    # here, unless the weakest cell alone already proves the pack must be recycled.
    soh = facts.soh_pct
    if soh is not None and soh != soh:
        soh = None
    weakest = facts.weakest_cell_soh_pct
    if weakest is not None and weakest != weakest:
        weakest = None
    floor_figures = (
        weakest,
        facts.weakest_cell_source,
        soh,
        facts.soh_source or ("measured" if facts.verified else "claimed"),
    )
    floor = rules.floor
    if weakest is not None and weakest < floor:
        route, code = ROUTE_RECYCLE, "W"
    elif soh is None:
        route, code = ROUTE_HOLD, "M"
    elif soh < floor:
        route, code = ROUTE_RECYCLE, "S"
    else:
        route = ""
    if route:
        return _make(
            Decision,
            (
                route,
                provisional,
                "",
                head + code + "NN",
                (chemistry, None, None, history_figure, calendar_figure, floor_figures, None, None),
                rules,
                [None],
            ),
        )

    if chemistry in NICKEL_CHEMISTRIES:
        ratio = facts.resistance_ratio
        if ratio is not None and ratio != ratio:
            ratio = None
        warranty = ""
        if soh > rules.nmc_min:
            if ratio is None:
                route, code = ROUTE_HOLD, "PHN"
            elif ratio < rules.nmc_max_ratio:
                route, code, warranty = ROUTE_REUSE_ESS, "PRN", rules.warranty_nmc
            else:
                route, code = ROUTE_RECYCLE, "PXN"
        else:
            route, code = ROUTE_RECYCLE, "PLN"
        return _make(
            Decision,
            (
                route,
                provisional,
                warranty,
                head + code,
                (
                    chemistry,
                    None,
                    None,
                    history_figure,
                    calendar_figure,
                    floor_figures,
                    ratio,
                    None,
                ),
                rules,
                [None],
            ),
        )

    if soh >= rules.reuse_min:
        route, code, warranty = ROUTE_REUSE_ESS, "PPE", rules.warranty_lfp
    elif soh >= rules.small_min:
        route, code, warranty = ROUTE_SMALL_APPLICATION, "PPA", rules.warranty_small
    else:
        route, code, warranty = ROUTE_RECYCLE, "PPC", ""
    return _make(
        Decision,
        (
            route,
            provisional,
            warranty,
            head + code,
            (chemistry, None, None, history_figure, calendar_figure, floor_figures, None, None),
            rules,
            [None],
        ),
    )
