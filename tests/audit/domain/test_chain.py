"""The hash chain, without a database: canonical JSON, hashes, jsonb-stable values, the walk."""

import dataclasses
import hashlib
import json
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.domain import (
    BREAK_EDITED,
    BREAK_HEAD,
    BREAK_INSERTED,
    BREAK_MISSING,
    BREAK_REPLACED,
    GENESIS_HASH,
    ChainEntry,
    ChainHead,
    canonical_json,
    entry_hash,
    entry_payload,
    json_stable,
    verify_chain,
)
from audit.domain.chain import PAYLOAD_FIELDS


def payload(**overrides):
    values = {
        "seq": 1,
        "created_at": "2026-12-01T10:00:00.000000+00:00",
        "actor_id": 7,
        "actor_name": "audrey",
        "action": "lot.transition",
        "object_type": "lot",
        "object_id": "12",
        "scope": "lot:12",
        "before": {"status": "listed"},
        "after": {"status": "verified", "soh_pct": 78.9},
        "reason": "test data confirms the claim",
    }
    return entry_payload(**{**values, **overrides})


def chain(length: int) -> tuple[list[ChainEntry], ChainHead]:
    """A correct chain of length entries (ids 101, 102 ...) and its head."""
    entries, prev_hash = [], GENESIS_HASH
    for seq in range(1, length + 1):
        fields = payload(
            seq=seq,
            object_id=str(seq % 5),
            after={"n": seq, "soh_pct": seq / 3},
            reason=f"step {seq}",
        )
        digest = entry_hash(fields, prev_hash)
        entries.append(ChainEntry(id=100 + seq, **fields, prev_hash=prev_hash, hash=digest))
        prev_hash = digest
    return entries, ChainHead(seq=length, hash=prev_hash)


def rehashed(entry: ChainEntry, **changes) -> ChainEntry:
    """entry changed and its own hash recomputed, as a careful forger would."""
    changed = dataclasses.replace(entry, **changes)
    return dataclasses.replace(changed, hash=entry_hash(changed.payload(), changed.prev_hash))


# canonical_json


def test_canonical_json_sorts_keys_at_every_level_and_drops_spaces():
    value = {"b": 1, "a": {"z": [3, {"y": 2, "x": 1}], "c": None}}
    assert canonical_json(value) == '{"a":{"c":null,"z":[3,{"x":1,"y":2}]},"b":1}'


def test_canonical_json_is_independent_of_insertion_order():
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})


def test_canonical_json_keeps_unicode_as_is():
    assert canonical_json({"name": "Zoë → 北京"}) == '{"name":"Zoë → 北京"}'


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_canonical_json_refuses_nan_and_infinity(number):
    with pytest.raises(ValueError, match="Out of range"):
        canonical_json({"x": [number]})


# entry_hash


def test_entry_hash_is_sha256_of_the_canonical_entry_and_previous_hash():
    # Pinned: changing the text that is hashed would break every stored chain.
    fields = payload(before=None, after={"soh_pct": 78.9, "route": "reuse-ESS"})
    text = (
        '{"entry":{"action":"lot.transition","actor_id":7,"actor_name":"audrey",'
        '"after":{"route":"reuse-ESS","soh_pct":78.9},"before":null,'
        '"created_at":"2026-12-01T10:00:00.000000+00:00","object_id":"12",'
        '"object_type":"lot","reason":"test data confirms the claim","scope":"lot:12","seq":1},'
        f'"prev_hash":"{GENESIS_HASH}"}}'
    )
    assert entry_hash(fields, GENESIS_HASH) == hashlib.sha256(text.encode()).hexdigest()


def test_entry_hash_is_64_hex_digits_and_deterministic():
    digest = entry_hash(payload(), GENESIS_HASH)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert entry_hash(payload(), GENESIS_HASH) == digest


CHANGED_VALUES = {
    "seq": 2,
    "created_at": "2026-12-01T10:00:00.000001+00:00",
    "actor_id": None,
    "actor_name": "system",
    "action": "lot.create",
    "object_type": "pack",
    "object_id": "13",
    "scope": "lot:13",
    "before": None,
    "after": {"status": "verified", "soh_pct": math.nextafter(78.9, 100)},  # one ulp up
    "reason": "",
}


def test_every_payload_field_is_covered():
    assert set(CHANGED_VALUES) == set(PAYLOAD_FIELDS) == set(payload())


@pytest.mark.parametrize("field", PAYLOAD_FIELDS)
def test_entry_hash_changes_with_every_field(field):
    assert entry_hash(payload(**{field: CHANGED_VALUES[field]}), GENESIS_HASH) != entry_hash(
        payload(), GENESIS_HASH
    )


def test_entry_hash_changes_with_the_previous_hash():
    assert entry_hash(payload(), GENESIS_HASH) != entry_hash(payload(), "1" + GENESIS_HASH[1:])


def test_entry_hash_tells_an_empty_value_from_a_missing_one():
    assert entry_hash(payload(before=None), GENESIS_HASH) != entry_hash(
        payload(before={}), GENESIS_HASH
    )
    assert entry_hash(payload(actor_id=None), GENESIS_HASH) != entry_hash(
        payload(actor_id=0), GENESIS_HASH
    )


def test_entry_hash_refuses_lone_surrogates():
    with pytest.raises(UnicodeEncodeError):
        entry_hash(payload(reason="\ud800"), GENESIS_HASH)


# json_stable


@pytest.mark.parametrize(
    ("value", "stable"),
    [
        (78.9, 78.9),
        (0.1 + 0.2, 0.30000000000000004),
        (1e-7, 1e-7),
        (12345678.123456789, 12345678.123456789),
        (100.0, 100.0),
        (2**70, 2**70),
        (-0.0, 0.0),
        (1e16, 10**16),
        (1.2345678901234568e17, 123456789012345680),
        (-1.5e300, -15 * 10**299),
        (True, True),
        (None, None),
        ("Zoë", "Zoë"),
    ],
)
def test_json_stable_rewrites_numbers_the_way_jsonb_prints_them(value, stable):
    result = json_stable(value)
    assert result == stable
    assert type(result) is type(stable)
    assert canonical_json(result) == canonical_json(stable)


def test_json_stable_walks_nested_values():
    value = {"a": [1e16, {"b": -0.0}], "c": "x"}
    assert json_stable(value) == {"a": [10**16, {"b": 0.0}], "c": "x"}
    assert canonical_json(json_stable(value)) == '{"a":[10000000000000000,{"b":0.0}],"c":"x"}'


@pytest.mark.parametrize("value", [math.nan, math.inf, [1, {"x": -math.inf}]])
def test_json_stable_refuses_nan_and_infinity(value):
    with pytest.raises(ValueError, match="NaN or Infinity"):
        json_stable(value)


@pytest.mark.parametrize("value", ["a\x00b", {"a\x00": 1}, ["\x00"]])
def test_json_stable_refuses_nul_characters(value):
    with pytest.raises(ValueError, match="NUL"):
        json_stable(value)


@pytest.mark.parametrize("value", ["\ud800", {"\udc00": 1}])
def test_json_stable_refuses_lone_surrogates(value):
    with pytest.raises(ValueError, match="valid Unicode"):
        json_stable(value)


@pytest.mark.parametrize("value", [{1: "a"}, (1, 2), {1, 2}, Decimal("1.5")])
def test_json_stable_takes_decoded_json_only(value):
    with pytest.raises(TypeError):
        json_stable(value)


def jsonb_round_trip(value):
    """A model of PostgreSQL's jsonb for one number: parsed as numeric, printed back."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    text = format(Decimal(json.dumps(value)), "f")
    return json.loads(text.removeprefix("-") if Decimal(text) == 0 else text)


def test_the_jsonb_model_shows_why_rewriting_is_needed():
    assert canonical_json(jsonb_round_trip(1e16)) != canonical_json(1e16)
    assert canonical_json(jsonb_round_trip(-0.0)) != canonical_json(-0.0)


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_json_stable_numbers_survive_the_jsonb_model(number):
    stable = json_stable(number)
    assert stable == number if isinstance(number, int) else float(stable) == number
    assert canonical_json(jsonb_round_trip(stable)) == canonical_json(stable)
    assert json_stable(stable) == stable


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON)
def test_json_stable_is_idempotent(value):
    try:
        stable = json_stable(value)
    except ValueError:
        return  # NUL or a lone surrogate in some text, refused
    assert canonical_json(json_stable(stable)) == canonical_json(stable)


# verify_chain: intact chains


@pytest.mark.parametrize("length", [0, 1, 2, 50])
def test_an_intact_chain_verifies(length):
    entries, head = chain(length)
    result = verify_chain(entries, head)
    assert result.ok
    assert result.broken is None
    assert result.checked == length
    assert result.last == head


def test_an_empty_chain_without_a_head_is_intact():
    result = verify_chain([], None)
    assert result.ok
    assert result.last == ChainHead(0, GENESIS_HASH)


def test_verify_chain_reads_a_stream_once_and_reports_progress():
    entries, head = chain(5)
    seen = []
    result = verify_chain(iter(entries), head, on_entry=seen.append)
    assert result.ok
    assert seen == [1, 2, 3, 4, 5]


def test_verify_chain_stops_at_the_first_break():
    entries, head = chain(6)
    entries[1] = dataclasses.replace(entries[1], reason="changed")
    entries[4] = dataclasses.replace(entries[4], reason="changed too")
    stream = iter(entries)
    result = verify_chain(stream, head)
    assert (result.broken.seq, result.checked) == (2, 2)
    assert next(stream) is entries[2]  # nothing read past the break


# verify_chain: edits


@pytest.mark.parametrize("field", [f for f in PAYLOAD_FIELDS if f != "seq"])
def test_editing_any_field_is_found(field):
    entries, head = chain(5)
    entries[2] = dataclasses.replace(entries[2], **{field: CHANGED_VALUES[field]})
    result = verify_chain(entries, head)
    assert not result.ok
    broken = result.broken
    assert (broken.seq, broken.id, broken.kind) == (3, 103, BREAK_EDITED)
    assert broken.reason == "its hash does not match its content (edited)"
    assert broken.entry is entries[2]


def test_editing_a_stored_hash_is_found():
    entries, head = chain(3)
    entries[0] = dataclasses.replace(entries[0], hash="f" * 64)
    assert verify_chain(entries, head).broken.kind == BREAK_EDITED


def test_editing_a_stored_prev_hash_is_found():
    entries, head = chain(3)
    entries[1] = dataclasses.replace(entries[1], prev_hash=GENESIS_HASH)
    broken = verify_chain(entries, head).broken
    assert (broken.seq, broken.kind) == (2, BREAK_EDITED)


def test_renumbering_an_entry_is_an_edit():
    entries, head = chain(3)
    entries[2] = dataclasses.replace(entries[2], seq=4)
    broken = verify_chain(entries, dataclasses.replace(head, seq=4)).broken
    assert (broken.seq, broken.kind) == (4, BREAK_EDITED)


def test_an_entry_rewritten_with_its_own_hash_recomputed_breaks_the_next_link():
    entries, head = chain(5)
    entries[2] = rehashed(entries[2], after={"status": "forged"})
    broken = verify_chain(entries, head).broken
    assert (broken.seq, broken.id, broken.kind) == (4, 104, BREAK_REPLACED)
    assert "entry #3's hash" in broken.reason
    assert "entry #3 replaced" in broken.reason


def test_a_forged_first_entry_must_start_from_the_genesis_hash():
    entries, head = chain(2)
    entries[0] = rehashed(entries[0], prev_hash="a" * 64)
    broken = verify_chain(entries, head).broken
    assert (broken.seq, broken.kind) == (1, BREAK_REPLACED)
    assert "genesis" in broken.reason


def test_a_rewritten_last_entry_shows_against_the_head():
    entries, head = chain(4)
    entries[3] = rehashed(entries[3], reason="forged")
    broken = verify_chain(entries, head).broken
    assert (broken.seq, broken.id, broken.kind) == (4, 104, BREAK_HEAD)
    assert "head's hash does not match entry #4" in broken.reason


# verify_chain: deletions and insertions


def test_a_deleted_middle_entry_is_found_at_the_next_one():
    entries, head = chain(5)
    del entries[2]
    broken = verify_chain(entries, head).broken
    assert (broken.seq, broken.id, broken.kind) == (4, 104, BREAK_MISSING)
    assert broken.reason == "previous entry missing (deleted)"


def test_several_deleted_entries_are_named():
    entries, head = chain(6)
    del entries[1:4]
    broken = verify_chain(entries, head).broken
    assert (broken.seq, broken.kind) == (5, BREAK_MISSING)
    assert broken.reason == "previous entries #2 to #4 missing (deleted)"


@pytest.mark.parametrize(
    ("deleted", "reason"),
    [(1, "previous entry missing (deleted)"), (2, "previous entries #1 to #2 missing (deleted)")],
)
def test_deleted_first_entries_are_found(deleted, reason):
    entries, head = chain(4)
    broken = verify_chain(entries[deleted:], head).broken
    assert (broken.seq, broken.kind, broken.reason) == (deleted + 1, BREAK_MISSING, reason)


def test_a_deleted_last_entry_is_found_against_the_head():
    entries, head = chain(5)
    result = verify_chain(entries[:-1], head)
    broken = result.broken
    assert (broken.seq, broken.id, broken.kind) == (5, None, BREAK_MISSING)
    assert broken.reason == (
        "entry #5 missing: the chain head records #5 as the last entry (deleted from the end)"
    )
    assert result.checked == 4


def test_several_deleted_last_entries_are_found_against_the_head():
    entries, head = chain(5)
    broken = verify_chain(entries[:2], head).broken
    assert (broken.seq, broken.kind) == (3, BREAK_MISSING)
    assert broken.reason.startswith("entries #3 to #5 missing")


def test_every_entry_deleted_is_found_against_the_head():
    _, head = chain(3)
    broken = verify_chain([], head).broken
    assert (broken.seq, broken.id, broken.kind) == (1, None, BREAK_MISSING)


def test_an_entry_appended_past_the_head_is_an_insertion():
    entries, head = chain(4)
    result = verify_chain(entries, dataclasses.replace(head, seq=3, hash=entries[2].hash))
    broken = result.broken
    assert (broken.seq, broken.id, broken.kind) == (4, 104, BREAK_INSERTED)
    assert "after the chain head, #3" in broken.reason


def test_an_entry_numbered_zero_is_an_insertion():
    entries, head = chain(2)
    zero = rehashed(entries[0], seq=0)
    broken = verify_chain([zero, *entries], head).broken
    assert (broken.seq, broken.kind) == (0, BREAK_INSERTED)


def test_an_entry_inserted_in_the_middle_breaks_a_link():
    entries, head = chain(3)
    # A forger inserts a valid-looking #2 and renumbers the rest: the old #2's link breaks.
    forged = rehashed(entries[1], reason="inserted")
    later = [rehashed(e, seq=e.seq + 1) for e in entries[1:]]
    broken = verify_chain([entries[0], forged, *later], dataclasses.replace(head, seq=4)).broken
    assert broken.kind == BREAK_REPLACED
    assert broken.seq == 3


# verify_chain: the head


def test_a_missing_head_with_entries_is_a_break():
    entries, _ = chain(2)
    result = verify_chain(entries, None)
    assert (result.broken.seq, result.broken.kind) == (None, BREAK_HEAD)
    assert result.broken.reason == "the chain head is missing (deleted)"


def test_an_edited_head_hash_is_a_break():
    entries, head = chain(2)
    broken = verify_chain(entries, dataclasses.replace(head, hash="e" * 64)).broken
    assert (broken.seq, broken.id, broken.kind) == (2, 102, BREAK_HEAD)


def test_an_empty_chain_with_an_edited_head_is_a_break():
    broken = verify_chain([], ChainHead(0, "e" * 64)).broken
    assert (broken.seq, broken.kind) == (None, BREAK_HEAD)
    assert "genesis" in broken.reason
