"""The stored documents' JSON, written and read with orjson (about 10 × faster than the standard
library on an instance's document), with the standard library as the fallback for what orjson
refuses, so that what is stored, and what fails, stays what `json` gives:

- written: orjson's compact UTF-8 is byte for byte what `json.dumps(..., separators=(",", ":"),
  ensure_ascii=False)` writes (`engine.runtime._CompactJSON`). Dates, times and dataclasses go to
  `default` (the serializer's registry), as with `json`; an integer beyond 64 bits, or anything
  `default` refuses, is written again by `json`, which thus stores it or raises as before;
- read: a document orjson refuses (`NaN`, `Infinity`, which `json` writes for such floats) is read
  by `json`.

Known difference: NaN and ±Infinity floats are written `null` by orjson where `json` writes the
non-standard `NaN` literal (neither is a value a form or a BPMN expression should produce).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any, encoder_cls: type[json.JSONEncoder]) -> str:
    """`json.dumps(value, cls=encoder_cls)`, through orjson when it can write the value."""
    encoder = encoder_cls()
    try:
        return orjson.dumps(value, default=encoder.default, option=_OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: let `json` store it, or raise its own error
        return encoder.encode(value)


def loads(document: str | bytes, fallback: Callable[[str | bytes], Any] = json.loads) -> Any:
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        return fallback(document)
