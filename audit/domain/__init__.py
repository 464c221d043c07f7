"""The pure hash chain of the audit trail; see chain.py. No Django here, ever."""

from .chain import (
    BREAK_EDITED,
    BREAK_HEAD,
    BREAK_INSERTED,
    BREAK_MISSING,
    BREAK_REPLACED,
    GENESIS_HASH,
    ChainBreak,
    ChainEntry,
    ChainHead,
    ChainResult,
    canonical_json,
    entry_hash,
    entry_payload,
    json_stable,
    verify_chain,
)

__all__ = [
    "BREAK_EDITED",
    "BREAK_HEAD",
    "BREAK_INSERTED",
    "BREAK_MISSING",
    "BREAK_REPLACED",
    "GENESIS_HASH",
    "ChainBreak",
    "ChainEntry",
    "ChainHead",
    "ChainResult",
    "canonical_json",
    "entry_hash",
    "entry_payload",
    "json_stable",
    "verify_chain",
]
