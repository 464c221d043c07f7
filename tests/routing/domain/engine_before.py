"""The engine as it was before decisions became compact: eager words, for comparison only.

tests/routing/domain/test_compact.py checks that routing.domain's decide() decides and words
every pack exactly as this did. Kept verbatim but for its own two result dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.domain.rules import (
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
    PackFacts,
    Thresholds,
)


@dataclass(frozen=True)
class RuleCheck:
    name: str
    threshold: str
    value: str
    outcome: str
    explanation: str


@dataclass(frozen=True)
class Decision:
    route: str
    provisional: bool
    warranty: str
    checks: tuple[RuleCheck, ...]


_EVENT_LABELS = {
    "thermal-event": "thermal event",
    "swelling": "swelling",
    "crash-damage": "crash damage",
    "leak": "leak",
    "flood": "flood",
}


_new = object.__new__


def _check(name: str, threshold: str, value: str, outcome: str, explanation: str) -> RuleCheck:
    # A frozen dataclass's __init__ calls object.__setattr__ once per field; filling the
    # instance dict directly builds an identical, equal object in about half the time, and
    # decide() builds up to three of these per call.
    check = _new(RuleCheck)
    check.__dict__.update(
        name=name, threshold=threshold, value=value, outcome=outcome, explanation=explanation
    )
    return check


def _decision(
    route: str, provisional: bool, warranty: str, checks: tuple[RuleCheck, ...]
) -> Decision:
    decision = _new(Decision)
    decision.__dict__.update(route=route, provisional=provisional, warranty=warranty, checks=checks)
    return decision


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
        # after[i]: the "not reached" checks of every rule after rule i, appended as a block.
        self.after = tuple(tuple(not_reached[i + 1 :]) for i in range(len(RULE_NAMES)))

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
        if self.require_history:
            self.history_ok = check(
                RULE_HISTORY,
                history_values[True],
                OUTCOME_PASSED,
                "A lifetime history is recorded, as IEC 63338 requires before cells are reused.",
            )
        else:
            self.history_ok = history_off[True]
        self.history_missing_off = history_off[False]
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
        if self.recycle_calendar_expired:
            self.calendar_ok = check(
                RULE_CALENDAR,
                calendar_values[False],
                OUTCOME_PASSED,
                "The pack is still within the maker's calendar life.",
            )
        else:
            self.calendar_ok = calendar_off[False]
        self.calendar_expired_off = calendar_off[True]
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


def _compiled(thresholds: Thresholds) -> _CompiledRules:
    # Cached on the instance: Thresholds is frozen, so its texts can never go stale, and
    # dataclasses.replace() makes a new instance that compiles afresh.
    try:
        return thresholds.__dict__["_compiled_before"]
    except KeyError:
        compiled = _CompiledRules(thresholds)
        object.__setattr__(thresholds, "_compiled_before", compiled)
        return compiled


def _missing(value: float | None) -> bool:
    # NaN compares false with everything, so it would slip through every rule; treat it as
    # "no figure" instead.
    return value is None or value != value


DEFAULT_THRESHOLDS = Thresholds()


def decide(facts: PackFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Route one pack: the first rule that fires decides; every rule is recorded in order."""
    rules = _compiled(thresholds)
    provisional = not facts.verified
    chemistry = facts.chemistry

    chemistry_check = rules.chemistry_passed.get(chemistry)
    if chemistry_check is None:
        checks = (rules.chemistry_fired(chemistry), *rules.after[0])
        return _decision(ROUTE_HOLD, provisional, "", checks)

    events = facts.events
    if not SAFETY_EVENTS.isdisjoint(events):
        checks = (chemistry_check, rules.safety_fired(events), *rules.after[1])
        return _decision(ROUTE_RECYCLE, provisional, "", checks)
    if DEEP_DISCHARGE in events:
        checks = (chemistry_check, rules.safety_passed, rules.deep_fired, *rules.after[2])
        return _decision(ROUTE_HOLD, provisional, "", checks)

    if facts.has_history:
        history_check = rules.history_ok
    elif rules.require_history:
        checks = (
            chemistry_check,
            rules.safety_passed,
            rules.deep_passed,
            rules.history_fired,
            *rules.after[3],
        )
        return _decision(ROUTE_HOLD, provisional, "", checks)
    else:
        history_check = rules.history_missing_off

    if not facts.calendar_expired:
        calendar_check = rules.calendar_ok
    elif rules.recycle_calendar_expired:
        checks = (
            chemistry_check,
            rules.safety_passed,
            rules.deep_passed,
            history_check,
            rules.calendar_fired,
            *rules.after[4],
        )
        return _decision(ROUTE_RECYCLE, provisional, "", checks)
    else:
        calendar_check = rules.calendar_expired_off

    head = (chemistry_check, rules.safety_passed, rules.deep_passed, history_check, calendar_check)
    source = facts.soh_source or ("measured" if facts.verified else "claimed")

    # Rule 3, the floor. The pack figure is the first one any rule needs, so "no figure" holds
    # here, unless the weakest cell alone already proves the pack must be recycled.
    soh = facts.soh_pct
    weakest = facts.weakest_cell_soh_pct
    soh_missing = _missing(soh)
    weakest_missing = _missing(weakest)
    soh_text = "no figure" if soh_missing else _soh(soh)
    weakest_text = "not measured" if weakest_missing else _soh(weakest)
    if not weakest_missing and facts.weakest_cell_source:
        weakest_text = f"{weakest_text} ({facts.weakest_cell_source})"
    if soh_missing:
        floor_value = f"weakest cell {weakest_text}, no pack SOH figure"
    else:
        floor_value = f"weakest cell {weakest_text}, pack SOH {soh_text} ({source})"
    floor = rules.floor
    if not weakest_missing and weakest < floor:
        route = ROUTE_RECYCLE
        explanation = f"The weakest cell is at {weakest_text} SOH{rules.floor_tail}"
    elif soh_missing:
        route = ROUTE_HOLD
        explanation = rules.floor_no_figure
    elif soh < floor:
        route = ROUTE_RECYCLE
        explanation = f"The pack is at {soh_text} SOH{rules.floor_tail}"
    else:
        route = ""
        explanation = rules.floor_passed
    if route:
        floor_check = _check(
            RULE_CELL_FLOOR, rules.texts[RULE_CELL_FLOOR], floor_value, OUTCOME_FIRED, explanation
        )
        return _decision(route, provisional, "", (*head, floor_check, *rules.after[5]))
    floor_check = _check(
        RULE_CELL_FLOOR, rules.texts[RULE_CELL_FLOOR], floor_value, OUTCOME_PASSED, explanation
    )

    if chemistry in NICKEL_CHEMISTRIES:
        ratio = facts.resistance_ratio
        ratio_missing = _missing(ratio)
        ratio_text = "not measured" if ratio_missing else _ratio(ratio)
        nmc_value = f"SOH {soh_text} ({source}), resistance {ratio_text}"
        prefix = f"This {chemistry} pack is at {soh_text}"
        warranty = ""
        if soh > rules.nmc_min:
            if ratio_missing:
                route = ROUTE_HOLD
                explanation = prefix + rules.nmc_no_ratio_tail
            elif ratio < rules.nmc_max_ratio:
                route = ROUTE_REUSE_ESS
                warranty = rules.warranty_nmc
                explanation = prefix + rules.nmc_reuse_tail
            else:
                route = ROUTE_RECYCLE
                explanation = (
                    f"This {chemistry} pack's internal resistance is {ratio_text}"
                    + rules.nmc_high_ratio_tail
                )
        else:
            route = ROUTE_RECYCLE
            explanation = prefix + rules.nmc_low_soh_tail
        nmc_check = _check(RULE_NMC, rules.texts[RULE_NMC], nmc_value, OUTCOME_FIRED, explanation)
        return _decision(
            route, provisional, warranty, (*head, floor_check, nmc_check, *rules.after[6])
        )

    if soh >= rules.reuse_min:
        route = ROUTE_REUSE_ESS
        warranty = rules.warranty_lfp
        tail = rules.band_reuse_tail
    elif soh >= rules.small_min:
        route = ROUTE_SMALL_APPLICATION
        warranty = rules.warranty_small
        tail = rules.band_small_tail
    else:
        route = ROUTE_RECYCLE
        warranty = ""
        tail = rules.band_recycle_tail
    band_check = _check(
        RULE_CAPACITY,
        rules.texts[RULE_CAPACITY],
        f"SOH {soh_text} ({source})",
        OUTCOME_FIRED,
        f"At {soh_text}{tail}",
    )
    return _decision(
        route,
        provisional,
        warranty,
        (*head, floor_check, rules.nmc_not_applicable[chemistry], band_check),
    )
