"""Phone numbers: E.164 in storage, the national format for people."""

from __future__ import annotations

import pytest

from forms.fields import national_phone


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33139000000", "01 39 00 00 00"),
        ("+3221234567", "+32 2 123 45 67"),
        (None, ""),
        ("06 12 34", "06 12 34"),  # refused input is shown back as typed
    ],
)
def test_numbers_are_shown_in_the_national_format(stored, shown):
    assert national_phone(stored) == shown
