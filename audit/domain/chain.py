"""The audit hash chain: canonical JSON, entry hashes and the walk that finds the first break.

Each entry's hash is SHA-256 over the canonical JSON of its fields and the previous entry's hash,
so editing, deleting or inserting an entry breaks the chain at that point; the chain head (the
seq and hash of the last entry, kept apart) catches entries deleted from the end. A chain proves
the trail was not changed by anyone who did not also recompute every later hash and the head;
publishing the head hash elsewhere now and then closes that gap.

Plain values in, plain values out: the Django side turns rows into ChainEntry values.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64

# Why an entry breaks the chain.
BREAK_EDITED = "edited"  # its hash does not match its content
BREAK_MISSING = "deleted"  # entries before it, or at the end of the chain, are missing
BREAK_REPLACED = "replaced"  # its prev_hash does not match the previous entry's hash
BREAK_INSERTED = "inserted"  # its sequence number is out of place, or it is beyond the head
BREAK_HEAD = "head"  # the chain head is missing or does not match the last entry

PAYLOAD_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "scope",
    "before",
    "after",
    "reason",
)


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 as is; NaN and Infinity refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def json_stable(value: Any) -> Any:
    """A decoded JSON value that comes back from PostgreSQL's jsonb exactly as it went in.

    jsonb keeps numbers as numeric and prints them its own way: a float Python writes with a
    positive exponent (1e+16, 1.5e+300) comes back as an integer, and -0.0 as 0.0. Those are
    rewritten here the way jsonb would, so the stored value hashes to the same digest after the
    round trip. jsonb cannot hold NUL characters nor lone surrogates, and JSON has no NaN or
    Infinity: those are refused with ValueError.
    """
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"audit values cannot hold NaN or Infinity (got {value!r})")
        if value == 0:
            return 0.0
        text = repr(value)
        return int(Decimal(text)) if "e+" in text else value
    if isinstance(value, str):
        return _checked_text(value)
    if isinstance(value, list):
        return [json_stable(item) for item in value]
    if isinstance(value, dict):
        return {_checked_text(key): json_stable(item) for key, item in value.items()}
    raise TypeError(f"not a decoded JSON value: {type(value).__name__}")


def _checked_text(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"JSON object keys must be strings, got {type(text).__name__}")
    if "\x00" in text:
        raise ValueError("audit values cannot hold NUL characters (\\u0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"audit values must be valid Unicode text: {error.reason}") from None
    return text


def entry_payload(
    *,
    seq: int,
    created_at: str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    scope: str,
    before: Any,
    after: Any,
    reason: str,
) -> dict[str, Any]:
    """The fields an entry's hash covers; created_at is its ISO 8601 text."""
    return {
        "seq": seq,
        "created_at": created_at,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "scope": scope,
        "before": before,
        "after": after,
        "reason": reason,
    }


def entry_hash(payload: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 hex of the entry's canonical JSON together with the previous entry's hash."""
    text = canonical_json({"entry": payload, "prev_hash": prev_hash})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainEntry:
    """One stored entry as plain values; id is the row's primary key, for messages."""

    id: int | None
    seq: int
    created_at: str
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    scope: str
    before: Any
    after: Any
    reason: str
    prev_hash: str
    hash: str

    def payload(self) -> dict[str, Any]:
        return entry_payload(**{name: getattr(self, name) for name in PAYLOAD_FIELDS})


@dataclass(frozen=True)
class ChainHead:
    """The seq and hash of the last entry; seq 0 and the genesis hash for an empty chain."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first broken entry: seq of the entry (of the first missing one at the end), its id
    (None when it is missing), why (one of the BREAK_ kinds) and a sentence saying so."""

    seq: int | None
    id: int | None
    kind: str
    reason: str
    entry: ChainEntry | None = None


@dataclass(frozen=True)
class ChainResult:
    checked: int
    last: ChainHead
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _missing(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first} to #{last}"


def _entry_break(entry: ChainEntry, expected_seq: int, prev_hash: str) -> ChainBreak | None:
    def broken(kind: str, reason: str) -> ChainBreak:
        return ChainBreak(seq=entry.seq, id=entry.id, kind=kind, reason=reason, entry=entry)

    if entry_hash(entry.payload(), entry.prev_hash) != entry.hash:
        return broken(BREAK_EDITED, "its hash does not match its content (edited)")
    if entry.seq > expected_seq:
        if entry.seq == expected_seq + 1:
            return broken(BREAK_MISSING, "previous entry missing (deleted)")
        gap = _missing(expected_seq, entry.seq - 1)
        return broken(BREAK_MISSING, f"previous entries {gap} missing (deleted)")
    if entry.seq < expected_seq:
        return broken(BREAK_INSERTED, f"out of sequence, #{expected_seq} expected (inserted)")
    if entry.prev_hash != prev_hash:
        if expected_seq == 1:
            return broken(BREAK_REPLACED, "its prev_hash is not the genesis hash (replaced)")
        previous = expected_seq - 1
        return broken(
            BREAK_REPLACED,
            f"its prev_hash does not match entry #{previous}'s hash "
            f"(entry #{previous} replaced, or this one inserted)",
        )
    return None


def verify_chain(
    entries: Iterable[ChainEntry],
    head: ChainHead | None,
    *,
    on_entry: Callable[[int], None] | None = None,
) -> ChainResult:
    """Walk entries in seq order (consumed once, so a stream will do) and find the first break.

    head is the stored chain head, None when there is no head row. on_entry, if given, is
    called with the number of entries checked so far after each one.
    """
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_entry: ChainEntry | None = None
    for entry in entries:
        checked += 1
        broken = _entry_break(entry, expected_seq, prev_hash)
        if broken is None and head is not None and entry.seq > head.seq:
            broken = ChainBreak(
                seq=entry.seq,
                id=entry.id,
                kind=BREAK_INSERTED,
                reason=f"it comes after the chain head, #{head.seq} (inserted)",
                entry=entry,
            )
        if broken is not None:
            return ChainResult(
                checked=checked, last=ChainHead(expected_seq - 1, prev_hash), broken=broken
            )
        expected_seq, prev_hash, last_entry = entry.seq + 1, entry.hash, entry
        if on_entry is not None:
            on_entry(checked)
    last = ChainHead(seq=expected_seq - 1, hash=prev_hash)
    return ChainResult(checked=checked, last=last, broken=_head_break(last, last_entry, head))


def _head_break(
    last: ChainHead, last_entry: ChainEntry | None, head: ChainHead | None
) -> ChainBreak | None:
    if head is None:
        if last.seq == 0:
            return None
        return ChainBreak(
            seq=None, id=None, kind=BREAK_HEAD, reason="the chain head is missing (deleted)"
        )
    if head.seq > last.seq:
        first = last.seq + 1
        gap = f"entry #{first}" if first == head.seq else f"entries #{first} to #{head.seq}"
        return ChainBreak(
            seq=first,
            id=None,
            kind=BREAK_MISSING,
            reason=(
                f"{gap} missing: the chain head records #{head.seq} as the last entry "
                "(deleted from the end)"
            ),
        )
    if head.hash != last.hash:
        return ChainBreak(
            seq=last_entry.seq if last_entry else None,
            id=last_entry.id if last_entry else None,
            kind=BREAK_HEAD,
            reason=(
                f"the chain head's hash does not match entry #{last.seq} "
                "(that entry replaced, or the head edited)"
                if last_entry
                else "the chain head's hash is not the genesis hash of an empty chain (edited)"
            ),
            entry=last_entry,
        )
    return None
