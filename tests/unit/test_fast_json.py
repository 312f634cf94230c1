"""The stored documents' JSON through orjson (engine/fast_json.py) writes and reads what `json` does."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from engine import fast_json
from engine.runtime import SERIALIZER

ENCODER = SERIALIZER._encoder_cls  # Spiff's encoder over Guichet's compact one


def test_the_text_is_the_standard_librarys_byte_for_byte():
    value = {
        "adresse": "12 rue de l'Église, 33000 Bordeaux",
        "montant": Decimal("12.50"),
        "le": date(2026, 12, 7),
        "à": datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
        "n": [1, 2.5, True, None, {"ç": "é"}],
        "ensemble": {3},
        3: "clé entière",
    }
    assert fast_json.dumps(value, ENCODER) == json.dumps(value, cls=ENCODER)
    assert "12 rue de l'Église" in fast_json.dumps(value, ENCODER)


def test_what_orjson_refuses_goes_through_the_standard_library():
    big = {"n": 2**80}
    assert fast_json.dumps(big, ENCODER) == json.dumps(big, cls=ENCODER)
    with pytest.raises(TypeError):
        fast_json.dumps({"f": object()}, ENCODER)
    assert math.isnan(fast_json.loads('{"x":NaN}')["x"])


def test_a_document_reads_back_as_with_the_standard_library():
    document = json.dumps({"a": [1, "é", {"b": None}]}, ensure_ascii=True)
    assert fast_json.loads(document) == json.loads(document)
