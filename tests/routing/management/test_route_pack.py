import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def route(*args: str) -> dict:
    out = StringIO()
    call_command("route_pack", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--chemistry", "LFP", "--soh", "60"], "reuse-ESS"),
        (["--chemistry", "LFP", "--soh", "59.9"], "small-application"),
        (["--chemistry", "LFP", "--soh", "20"], "small-application"),
        (["--chemistry", "NMC", "--soh", "85", "--ir-ratio", "1.2"], "reuse-ESS"),
        (["--chemistry", "NMC", "--soh", "85"], "hold"),
        (["--chemistry", "NMC", "--soh", "80", "--ir-ratio", "1.2"], "recycle"),
        (["--chemistry", "LFP", "--soh", "90", "--event", "thermal-event"], "recycle"),
        (["--chemistry", "LFP", "--soh", "90", "--event", "deep-discharge"], "hold"),
        (["--chemistry", "LFP", "--soh", "90", "--no-history"], "hold"),
        (["--chemistry", "LFP", "--soh", "90", "--expired"], "recycle"),
        (["--chemistry", "LFP", "--soh", "90", "--weakest-cell-soh", "15"], "recycle"),
        (["--chemistry", "unknown", "--soh", "90"], "hold"),
    ],
)
def test_route_pack_prints_the_decision(args, expected):
    result = route(*args)
    assert result["route"] == expected
    assert set(result) >= {"route", "provisional", "warranty", "rules"}
    assert all(set(rule) >= {"name", "threshold", "value", "outcome"} for rule in result["rules"])
    assert [rule["outcome"] for rule in result["rules"]].count("fired") == 1


@pytest.mark.django_db
def test_unknown_rule_set_is_a_clear_error():
    with pytest.raises(CommandError, match="no rule set named"):
        route("--chemistry", "LFP", "--soh", "70", "--rule-set", "nope")
