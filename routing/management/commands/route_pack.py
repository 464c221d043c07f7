import json

from django.core.management.base import BaseCommand, CommandError

from routing.domain import CHEMISTRIES, DEEP_DISCHARGE, SAFETY_EVENTS, PackFacts, decide
from routing.models import RuleSet
from routing.selectors import rule_set_active

EVENTS = sorted(SAFETY_EVENTS | {DEEP_DISCHARGE})


class Command(BaseCommand):
    help = "Route one pack from its facts with the active (or a named) rule set; prints the rules."

    def add_arguments(self, parser):
        parser.add_argument("--chemistry", required=True, choices=CHEMISTRIES)
        parser.add_argument("--soh", type=float, required=True, help="pack SOH, %%")
        parser.add_argument("--weakest-cell-soh", type=float, help="weakest cell SOH, %%")
        parser.add_argument("--ir-ratio", type=float, help="DC resistance / baseline")
        parser.add_argument("--event", action="append", default=[], choices=EVENTS)
        parser.add_argument("--no-history", action="store_true", help="no lifetime history")
        parser.add_argument("--expired", action="store_true", help="past calendar-life expiry")
        parser.add_argument(
            "--claimed", action="store_true", help="figures are claimed, not measured"
        )
        parser.add_argument("--rule-set", help="NAME or NAME:VERSION (default: the active one)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        rule_set = self._rule_set(options["rule_set"])
        facts = PackFacts(
            chemistry=options["chemistry"],
            soh_pct=options["soh"],
            weakest_cell_soh_pct=options["weakest_cell_soh"],
            resistance_ratio=options["ir_ratio"],
            events=frozenset(options["event"]),
            has_history=not options["no_history"],
            calendar_expired=options["expired"],
            verified=not options["claimed"],
        )
        decision = decide(facts, rule_set.as_thresholds())
        result = {**decision.to_dict(), "rule_set": str(rule_set)}
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"route: {decision.route}{' (provisional)' if decision.provisional else ''}"
        )
        if decision.warranty:
            self.stdout.write(f"warranty: {decision.warranty}")
        for check in decision.checks:
            self.stdout.write(f"  [{check.outcome:>11}] {check.name}: {check.explanation}")

    @staticmethod
    def _rule_set(spec: str | None) -> RuleSet:
        if not spec:
            return rule_set_active()
        name, _, version = spec.partition(":")
        rule_sets = RuleSet.objects.filter(name=name)
        if version:
            if not version.isdigit():
                raise CommandError(f"rule set version must be a number, got {version!r}")
            rule_sets = rule_sets.filter(version=int(version))
        rule_set = rule_sets.order_by("-version").first()
        if rule_set is None:
            raise CommandError(f"no rule set named {spec!r}")
        return rule_set
