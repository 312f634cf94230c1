"""Opening hours typed by agents (forms/structures.py): what is read, what is refused in French."""

from __future__ import annotations

import pytest
from wtforms.validators import ValidationError

from forms.structures import format_ranges, minutes_fr, parse_ranges


@pytest.mark.parametrize(
    ("typed", "ranges"),
    [
        ("", []),
        ("fermé", []),
        ("8:30-12:00, 13:30-17:00", [(510, 720), (810, 1020)]),
        ("13h30-17h ; 8h30-12h", [(510, 720), (810, 1020)]),  # sorted
        ("8 h 30 – 12 h et 14 h à 18 h", [(510, 720), (840, 1080)]),
        ("0-24", [(0, 1440)]),
        ("8-12, 12-14", [(480, 720), (720, 840)]),  # touching ranges do not overlap
    ],
)
def test_readable_ranges(typed, ranges):
    assert parse_ranges(typed) == ranges


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12-8", "La plage « 12-8 » se termine (8 h) avant de commencer (12 h)."),
        ("9-9", "La plage « 9-9 » se termine (9 h) avant de commencer (9 h)."),
        ("8-12, 11:30-14", "Les plages 8 h – 12 h et 11 h 30 – 14 h se chevauchent."),
        ("23-24:30", "« 23-24:30 » contient une heure en dehors de 00:00 – 24:00."),
        ("25-26", "« 25-26 » contient une heure en dehors de 00:00 – 24:00."),
        ("8:60-9", "« 8:60-9 » contient une heure en dehors de 00:00 – 24:00."),
        ("matin", "« matin » n'est pas une plage horaire lisible"),
        ("8-", "« 8- » n'est pas une plage horaire lisible"),
    ],
)
def test_impossible_ranges_are_refused_in_french(typed, message):
    with pytest.raises(ValidationError) as refused:
        parse_ranges(typed)
    assert str(refused.value).startswith(message)


def test_french_times_and_the_text_agents_edit():
    assert [minutes_fr(m) for m in (0, 510, 720, 1440)] == ["0 h", "8 h 30", "12 h", "24 h"]
    assert format_ranges([(510, 720), (810, 1440)]) == "8:30-12:00, 13:30-24:00"
    assert parse_ranges(format_ranges([(510, 720), (810, 1440)])) == [(510, 720), (810, 1440)]
