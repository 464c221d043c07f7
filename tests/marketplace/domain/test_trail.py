"""The trail's Change column: one line per entry, from what the services record."""

import pytest

from marketplace.domain.trail import FORMATS, LIMIT, change_summary

# (action, before, after, line): payloads shaped as the services write them.
CASES = [
    ("lot.transition", {"status": "draft"}, {"status": "submitted", "by": "submit"},
     "draft → submitted"),
    ("verification.result", None,
     {"file": "p1.csv", "verdict": "confirmed", "measured_soh_pct": 84.26},
     "p1.csv: confirmed (84.3 % measured)"),
    ("verification.result", None, {"file": "p1.csv", "status": "failed"}, "p1.csv: failed"),
    ("verification.rejudged", {"verdict": "unapproved-model"},
     {"verdict": "confirmed", "measured_soh_pct": None}, "verdict: confirmed"),
    ("routing.decision", None, {"route": "reuse-ESS", "provisional": True, "rule_set": "v3"},
     "reuse-ESS (provisional) under v3"),
    ("lot.split", None, {"sub_lots": [{"reference": "A-ESS"}, {"reference": "A-REC"}]},
     "into A-ESS, A-REC"),
    ("lot.packs_add", None, {"packs": ["S-1", "S-2"]}, "2 pack(s) added: S-1, S-2"),
    ("lot.packs_remove", {"packs": ["S-9"]}, None, "1 pack(s) removed: S-9"),
    ("lot.packs_import", None,
     {"file": "packs.csv", "sha256": "ab", "packs": 10000, "history_events": 20000,
      "serials": ["S-1"]},
     "10000 pack(s), 20000 history event(s) from packs.csv"),
    ("history.add", None,
     {"kind": "custody_transfer", "occurred_on": "2025-07-01", "pack": None,
      "custody_from": "Volta", "custody_to": "ReCell"},
     "custody transfer on 2025-07-01 from Volta to ReCell"),
    ("history.edit", {"kind": "storage", "occurred_on": "2024-01-01"},
     {"kind": "storage", "occurred_on": "2024-02-01", "pack": None}, "storage on 2024-02-01"),
    ("history.delete", {"kind": "thermal_event", "occurred_on": "2024-02-01", "pack": "S-1"},
     None, "thermal event of pack S-1 on 2024-02-01"),
    ("document.upload", None,
     {"file": "sds.pdf", "kind": "safety_data_sheet", "sha256": "ab", "pack": None},
     "safety data sheet sds.pdf"),
    ("document.upload", None,
     {"file": "p.png", "kind": "photo", "pack": "S-1", "published": True},
     "photo p.png for pack S-1, published to buyers"),
    ("document.publish", {"published": False}, {"published": True, "file": "sds.pdf"},
     "sds.pdf shown to buyers"),
    ("document.unpublish", {"published": True}, {"published": False, "file": "sds.pdf"},
     "sds.pdf hidden from buyers"),
    ("passport.import", None,
     {"serial": "NEW-1", "pack_created": True, "passport_identifier": "urn:uuid:1"},
     "new pack NEW-1 from passport urn:uuid:1"),
    ("review.route_override", {"route_override": ""}, {"route_override": "recycle"},
     "route set to recycle"),
    ("review.route_override", {"route_override": "recycle"}, {"route_override": ""},
     "route given back to the rules"),
    ("test_record.upload", None, {"pack": "S-1", "file": "p1.csv", "sha256": "ab"},
     "p1.csv for pack S-1"),
    # Read generically: each field as it changed, digests and ids left out.
    ("lot.update", {"location": "Leeds", "quantity": 2}, {"location": "Hull", "quantity": 2},
     "location Leeds → Hull; quantity 2"),
    ("lot.create", None,
     {"reference": "L-1", "quantity": 6, "claimed_soh_pct": "85.00", "packs": ["A", "B"],
      "history": [{"kind": "manufactured", "occurred_on": "2018-01-01"}]},
     "L-1: 2 of 6 packs, claimed SOH 85.00 %, 1 history event(s)"),
    ("lot.create", None, {"reference": "L-1-ESS", "parent": "L-1", "quantity": 2},
     "L-1-ESS split from L-1"),
    ("lot.create", None, {"note": "odd"}, "note odd"),
    ("pack_model.approve", None, {"model": "VC-48", "packs": ["A", "B", "C", "D", "E"]},
     "model VC-48; packs A, B, C and 2 more"),
    ("review.answer", {"status": "open"},
     {"status": "answered", "answer": 7, "files": [{"name": "log.csv", "sha256": "ab"}]},
     "status open → answered; files log.csv"),
    ("review.question", None, {"kind": "question", "pack": None, "status": "open"},
     "kind question; pack none; status open"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "before", "after", "line"), CASES)
def test_each_action_reads_as_one_line(action, before, after, line):
    assert change_summary(action, before, after) == line


def test_every_action_with_a_line_of_its_own_is_covered():
    assert set(FORMATS) <= {case[0] for case in CASES}


def test_an_entry_with_values_is_never_blank():
    # A formatter that finds nothing it knows falls back to the fields.
    assert change_summary("lot.split", None, {"note": "moved"}) == "note moved"
    assert change_summary("routing.unknown", {}, {"x": 1}) == "x 1"
    assert change_summary("anything", None, None) == ""
    assert change_summary("anything", "not a mapping", ["nor this"]) == ""


def test_a_long_line_is_cut_to_the_limit():
    line = change_summary("lot.update", {}, {"notes": "x" * 500})
    assert len(line) == LIMIT and line.endswith("…")


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "none"), ("", "none"), (True, "yes"), (False, "no"), (1.5, "1.5"),
     ({"name": "Volta"}, "Volta"), ({"reference": "L-1"}, "L-1"), ([], "none")],
)  # fmt: skip
def test_values_read_plainly(value, text):
    assert change_summary("lot.update", {}, {"v": value}) == f"v {text}"


def test_kinds_read_as_the_caller_names_them():
    after = {"file": "u.pdf", "kind": "un38_3_summary", "pack": None}
    assert change_summary("document.upload", None, after) == "un38 3 summary u.pdf"
    named = change_summary("document.upload", None, after,
                           kinds={"un38_3_summary": "UN 38.3 test summary"})  # fmt: skip
    assert named == "UN 38.3 test summary u.pdf"
