"""JSON request bodies, bounded: a client gets a 400 (or 413) saying why, never a 500."""

import json
import re

import numpy as np
from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# Deeper than any body this API takes (a lot with its packs and history is 4 levels deep).
MAX_DEPTH = 32


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"


# A JSON string, escapes included: brackets inside strings do not nest anything.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _depth_exceeds(text: str, limit: int) -> bool:
    """Brackets outside strings nest deeper than `limit`: checked before json.loads, whose
    recursion a body of 100,000 '[' would exhaust. Vectorised: the whole body is one pass of
    a regular expression and one cumulative sum."""
    if text.count("[") + text.count("{") <= limit:
        return False
    codes = np.frombuffer(_STRING.sub("", text).encode(), dtype=np.uint8)
    step = np.isin(codes, _OPEN).astype(np.int32) - np.isin(codes, _CLOSE).astype(np.int32)
    return bool(step.size) and int(np.cumsum(step).max()) > limit


_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"JSON body larger than {limit:,} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"JSON body is not {encoding}: {exc}") from None
        if _depth_exceeds(text, MAX_DEPTH):
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
        try:
            return json.loads(text, parse_constant=_no_constant)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
