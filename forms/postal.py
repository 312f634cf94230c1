"""French postal codes and their communes, from the offline table in forms/data/codes-postaux.json.gz.

The table (built by forms/data/build_postal_codes.py from Etalab's open data, see
docs/operator-guide.md « Données des codes postaux ») maps every postal code of France, overseas
included, to the communes it serves. Commune names are compared without accents, case, hyphens or
apostrophes, and « St » / « Ste » stand for « Saint » / « Sainte ».
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import gettext
from wtforms import Field
from wtforms.validators import ValidationError

DATA = Path(__file__).resolve().parent / "data" / "codes-postaux.json.gz"
#: How many communes a mismatch message lists before « … ».
SHOWN_COMMUNES = 12
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalise_commune(name: str) -> str:
    """« Saint-Rémy-lès-Chevreuse », « ST REMY LES CHEVREUSE » → "saint remy les chevreuse"."""
    text = name.casefold().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = _NOT_ALNUM.sub(" ", text).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


@cache
def _table() -> dict[str, list[list[str]]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        codes: dict[str, list[list[str]]] = json.load(handle)["codes"]
    return codes


def communes_for(postal_code: str) -> list[str]:
    """The communes served by a postal code, as the family should read them; [] when unknown."""
    entry = _table().get(postal_code)
    return list(entry[0]) if entry else []


def official_commune(postal_code: str, commune: str) -> str | None:
    """The official name of `commune` if the postal code serves it (tolerant comparison), else None."""
    entry = _table().get(postal_code)
    if not entry:
        return None
    wanted = normalise_commune(commune)
    names, aliases = entry
    for name in names:
        if normalise_commune(name) == wanted:
            return name
    if any(normalise_commune(alias) == wanted for alias in aliases):
        # A libellé d'acheminement (« PARIS »): the family's spelling is kept unless only one commune.
        return names[0] if len(names) == 1 else commune
    return None


def known_postal_code(form: Any, field: Field) -> None:
    """A postal code that exists (run after french_postal_code, which checks the format)."""
    if field.data and not communes_for(field.data):
        raise ValidationError(  # gettext, not lazy: a lazy string is not escaped in pages
            gettext(
                "Le code postal %(code)s n'existe pas. Vérifiez-le sur un courrier reçu à cette adresse.",
                code=field.data,
            )
        )


class CommuneOfPostalCode:
    """The commune must be served by the postal code typed in `code_field`; the name is then
    written as the official one (« velizy villacoublay » → « Vélizy-Villacoublay »)."""

    def __init__(self, code_field: str = "code_postal") -> None:
        self.code_field = code_field

    def __call__(self, form: Any, field: Field) -> None:
        code_field = form[self.code_field]
        code = code_field.data or ""
        if code_field.errors or not field.data or not communes_for(code):
            return  # the postal code's own message already tells what is wrong
        official = official_commune(code, field.data)
        if official is None:
            names = communes_for(code)
            shown = ", ".join(names[:SHOWN_COMMUNES]) + (" …" if len(names) > SHOWN_COMMUNES else "")
            raise ValidationError(
                gettext(
                    "Cette commune ne correspond pas au code postal. Le code postal %(code)s "
                    "correspond à : %(communes)s.",
                    code=code,
                    communes=shown,
                )
            )
        field.data = official
