"""Forms of the facilities' back office: the facility, its weekly opening hours, an exceptional closure.

Opening hours are typed as text, one field per weekday, « 8:30-12:00, 13:30-17:00 » (also « 8 h 30 –
12 h », « 8h30 à 12h »): one line a family can read is quicker for an agent than fourteen time pickers,
and what was typed comes back as it was when a range is refused.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, Optional, ValidationError

from forms.dates import FrenchDateField
from forms.fields import phone_field
from forms.validators import collapse_spaces, french_postal_code, strip

WEEKDAYS = (
    _l("Lundi"),
    _l("Mardi"),
    _l("Mercredi"),
    _l("Jeudi"),
    _l("Vendredi"),
    _l("Samedi"),
    _l("Dimanche"),
)
DAY_FIELDS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
#: 24:00 (a range may end at midnight), in minutes.
END_OF_DAY = 24 * 60

_TIME = r"(\d{1,2})\s*(?:[:hH]\s*(\d{2})?)?"
_RANGE = re.compile(rf"^{_TIME}\s*(?:-|–|—|à|a)\s*{_TIME}$")
FORMAT_HINT = _l("écrivez les plages comme « 8:30-12:00, 13:30-17:00 »")


def minutes_fr(minutes: int) -> str:
    """510 → « 8 h 30 », 720 → « 12 h », 1440 → « 24 h » (French typography); « 8:30 » in English."""
    hours, rest = divmod(minutes, 60)
    locale = get_locale()
    if locale is not None and locale.language != "fr":
        return f"{hours}:{rest:02d}"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _minutes(hours: str, mins: str | None, text: str) -> int:
    h, m = int(hours), int(mins or 0)
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValidationError(_("« %(text)s » contient une heure en dehors de 00:00 – 24:00.", text=text))
    return h * 60 + m


def parse_ranges(raw: str | None) -> list[tuple[int, int]]:
    """Read one weekday's opening ranges (minutes since midnight), sorted; raise ValidationError in French.

    Empty (or « fermé ») is a closed day. Refused: an unreadable range, a time outside 00:00–24:00, an
    end before (or at) its start, two ranges that overlap.
    """
    text = (raw or "").strip()
    if not text or text.lower() in {"fermé", "ferme", "fermée", "fermee"}:
        return []
    ranges: list[tuple[int, int]] = []
    for part in re.split(r"[,;/]|\bet\b", text):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if match is None:
            raise ValidationError(
                _("« %(part)s » n'est pas une plage horaire lisible ; %(hint)s.", part=part, hint=FORMAT_HINT)
            )
        h1, m1, h2, m2 = match.groups()
        start = _minutes(h1, m1, part)
        end = _minutes(h2, m2, part)
        if end <= start:
            raise ValidationError(
                _(
                    "La plage « %(part)s » se termine (%(end)s) avant de commencer (%(start)s). "
                    "L'heure de fin doit être après l'heure de début.",
                    part=part,
                    end=minutes_fr(end),
                    start=minutes_fr(start),
                )
            )
        ranges.append((start, end))
    ranges.sort()
    for (s1, e1), (s2, e2) in pairwise(ranges):
        if s2 < e1:
            raise ValidationError(
                _(
                    "Les plages %(first)s et %(second)s se chevauchent.",
                    first=" – ".join([minutes_fr(s1), minutes_fr(e1)]),
                    second=" – ".join([minutes_fr(s2), minutes_fr(e2)]),
                )
            )
    return ranges


def format_ranges(ranges: list[tuple[int, int]]) -> str:
    """The text an agent edits: [(510, 720)] → « 8:30-12:00 »."""
    return ", ".join(f"{s // 60}:{s % 60:02d}-{e // 60}:{e % 60:02d}" for s, e in ranges)


def _check_hours(form: Any, field: Field) -> None:
    parse_ranges(field.data)


def _day_field(day: Any) -> StringField:
    return StringField(
        day,
        filters=[strip],
        validators=[Length(max=200, message=_l("200 caractères au plus.")), _check_hours],
    )


class FacilityForm(FlaskForm):  # type: ignore[misc]
    """« Nouvelle structure » / « Modifier la structure ». The view sets `kind.choices`."""

    name = StringField(
        _l("Nom de la structure"),
        filters=[collapse_spaces],
        validators=[DataRequired(_l("Indiquez le nom de la structure.")), Length(max=120)],
    )
    kind = SelectField(_l("Type"), validate_choice=False)
    address = StringField(
        _l("Adresse"),
        filters=[collapse_spaces],
        validators=[DataRequired(_l("Indiquez l'adresse (numéro et rue).")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    postal_code = StringField(
        _l("Code postal"),
        filters=[strip],
        validators=[DataRequired(_l("Indiquez le code postal.")), french_postal_code],
        render_kw={"inputmode": "numeric"},
    )
    commune = StringField(
        _l("Commune"),
        filters=[collapse_spaces],
        validators=[DataRequired(_l("Indiquez la commune.")), Length(max=80)],
    )
    area = StringField(
        _l("Quartier ou secteur"),
        filters=[collapse_spaces],
        validators=[Optional(), Length(max=80)],
        description=_l("Les familles filtrent la liste par quartier : reprenez le nom déjà utilisé."),
    )
    phone = phone_field(_l("Téléphone"), "01 23 45 67 89", autocomplete=False)
    email = StringField(
        _l("Adresse de courriel"),
        filters=[strip],
        validators=[
            Optional(),
            Email(_l("Cette adresse de courriel n'est pas valable."), check_deliverability=False),
            Length(max=254),
        ],
    )
    website = StringField(
        _l("Site internet"),
        filters=[strip],
        validators=[
            Optional(),
            URL(
                require_tld=True, message=_l("Cette adresse n'est pas valable : elle commence par https://.")
            ),
            Length(max=300),
        ],
        description=_l("Par exemple https://www.ville.fr/mediatheque"),
    )
    description = TextAreaField(
        _l("Présentation"), filters=[strip], validators=[Optional(), Length(max=2000)]
    )
    services = TextAreaField(
        _l("Services proposés"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        description=_l("Un service par ligne, par exemple « Prêt de livres »."),
    )
    lundi = _day_field(WEEKDAYS[0])
    mardi = _day_field(WEEKDAYS[1])
    mercredi = _day_field(WEEKDAYS[2])
    jeudi = _day_field(WEEKDAYS[3])
    vendredi = _day_field(WEEKDAYS[4])
    samedi = _day_field(WEEKDAYS[5])
    dimanche = _day_field(WEEKDAYS[6])

    def validate_kind(self, field: Field) -> None:
        if field.data not in {choice[0] for choice in field.choices or []}:
            raise ValidationError(_("Choisissez un type de la liste."))

    def validate_website(self, field: Field) -> None:
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_("Cette adresse n'est pas valable : elle commence par https://."))

    def opening_ranges(self) -> list[tuple[int, int, int]]:
        """(weekday, start, end) of every range, once the form is valid."""
        return [
            (weekday, start, end)
            for weekday, name in enumerate(DAY_FIELDS)
            for start, end in parse_ranges(getattr(self, name).data)
        ]


class ClosureForm(FlaskForm):  # type: ignore[misc]
    """« Ajouter une fermeture exceptionnelle »: both days included."""

    start_date = FrenchDateField(
        _l("Du"), validators=[InputRequired(_l("Indiquez le premier jour de fermeture."))]
    )
    end_date = FrenchDateField(
        _l("Au (inclus)"), validators=[InputRequired(_l("Indiquez le dernier jour de fermeture."))]
    )
    reason = StringField(
        _l("Motif"),
        filters=[collapse_spaces],
        validators=[DataRequired(_l("Indiquez le motif : les familles le liront.")), Length(max=200)],
        description=_l("Par exemple « Travaux » ou « Inventaire annuel »."),
    )

    def validate_end_date(self, field: Field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(
                _(
                    "La fermeture se termine avant de commencer : le dernier jour doit "
                    "être le même que le premier ou après."
                )
            )


__all__ = ["ClosureForm", "FacilityForm", "format_ranges", "minutes_fr", "parse_ranges"]
