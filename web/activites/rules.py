"""The published rules of booking, as pure functions: age, class, days of a session, overlaps, price
and the fair window's draw order (docs/guide-famille.md « Le tirage au sort » explains them).

The draw (issue 15 point 3): every request received during the fair window is one entry with a
weight w = 1 + the sum of the published criteria it meets. With `random.Random(seed)`, entries taken
in the order of their reference, each gets the key u ** (1 / w), u uniform in ]0, 1]; the order is by
decreasing key (Efraimidis–Spirakis weighted sampling without replacement). With all weights 1 it is a
uniform random order. The seed and every key are recorded: anyone can recompute the order.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from web.core.i18n import _, _l, money, ngettext

# Stored with each draw (a record, in French); the pages show it translated (`draw_rule_shown`).
DRAW_RULE = "Efraimidis-Spirakis : clé = u^(1/poids), u ~ random.Random(graine), demandes par référence"
CRITERIA_LABELS = {
    "fratrie": _l("un frère ou une sœur demande aussi l'activité"),
    "residence": _l("la famille habite la commune"),
    "quotient": _l("quotient familial de 700 € ou moins"),
}
LOW_QUOTIENT = 700


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def days_of(starts_on: date, ends_on: date, weekdays: Sequence[int]) -> list[date]:
    """The days a session runs: its dates on its weekdays."""
    days, day = [], starts_on
    while day <= ends_on:
        if day.weekday() in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def overlap(a: tuple[date, date, Sequence[int]], b: tuple[date, date, Sequence[int]]) -> bool:
    """Two sessions overlap when they share a day they both run."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    if start > end:
        return False
    return bool(set(days_of(start, end, a[2])) & set(days_of(start, end, b[2])))


def parse_bands(text: str | None) -> list[tuple[int | None, int]]:
    """« 600:350;1200:700;:1100 » → [(600, 350), (1200, 700), (None, 1100)]; ValueError if malformed."""
    bands: list[tuple[int | None, int]] = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        ceiling, _sep, price = part.partition(":")
        bands.append((int(ceiling) if ceiling.strip() else None, int(price)))
    if not bands:
        raise ValueError("no band")
    return bands


def band_price(bands: list[tuple[int | None, int]], quotient: int | None) -> int:
    """The price of the quotient's band; an unknown quotient pays the last (highest) band."""
    if quotient is not None:
        for ceiling, price in bands:
            if ceiling is None or quotient <= ceiling:
                return price
    return bands[-1][1]


@dataclass(frozen=True)
class Price:
    """The price of one session for one child; `detail` is the French text stored with the booking
    (and the invoice line), `shown()` the same in the reader's language."""

    cents: int
    rule: str = "forfait"
    days: int = 0
    unit_cents: int = 0
    quotient: int | None = None

    @property
    def detail(self) -> str:
        if self.rule == "forfait":
            return f"forfait {stored_euros(self.unit_cents)}"
        text = f"{self.days} jour(s) × {stored_euros(self.unit_cents)}"
        if self.rule == "quotient":
            shown = "non connu" if self.quotient is None else f"{self.quotient} €"
            text += f" (quotient {shown})"
        return text

    def shown(self) -> str:
        if self.rule == "forfait":
            return _("forfait %(price)s", price=money(self.unit_cents))
        text = ngettext(
            "%(num)d jour × %(price)s", "%(num)d jours × %(price)s", self.days, price=money(self.unit_cents)
        )
        if self.rule != "quotient":
            return text
        if self.quotient is None:
            return _("%(detail)s (quotient familial non connu)", detail=text)
        return _("%(detail)s (quotient familial : %(quotient)d €)", detail=text, quotient=self.quotient)


def stored_euros(cents: int) -> str:
    """« 12,50 € »: amounts inside the French texts stored with bookings and invoices (the pages use
    `web.core.i18n.money`, in the reader's language)."""
    return f"{cents // 100},{cents % 100:02d} €"


def price_of(rule: str, unit_cents: int, bands: str | None, days: int, quotient: int | None) -> Price:
    """The price of one session for one child, computed by the server only (never read from a form)."""
    if rule == "forfait":
        return Price(unit_cents, "forfait", 1, unit_cents)
    if rule == "par_jour":
        return Price(unit_cents * days, "par_jour", days, unit_cents)
    per_day = band_price(parse_bands(bands), quotient)
    return Price(per_day * days, "quotient", days, per_day, quotient)


_STORED = re.compile(
    r"^(?:forfait (?P<flat>\d+,\d\d) €"
    r"|(?P<days>\d+) jour\(s\) × (?P<unit>\d+,\d\d) €(?: \(quotient (?:(?P<q>\d+) €|non connu)\))?)$"
)


def detail_shown(stored: str | None) -> str:
    """A booking's stored French price detail in the reader's language (read back from the three forms
    `price_of` writes); any other text (« démo », older wording) is shown as stored."""
    found = _STORED.match(stored or "")
    if found is None:
        return stored or ""

    def cents(text: str) -> int:
        return int(text.replace(",", ""))

    if found["flat"]:
        return Price(cents(found["flat"]), "forfait", 1, cents(found["flat"])).shown()
    quotient = int(found["q"]) if found["q"] else None
    rule = "quotient" if "quotient" in (stored or "") else "par_jour"
    unit = cents(found["unit"])
    return Price(unit * int(found["days"]), rule, int(found["days"]), unit, quotient).shown()


def draw_rule_shown(stored: str) -> str:
    """The rule recorded with a draw, in the reader's language when it is the published one."""
    if stored == DRAW_RULE:
        return _("Efraimidis-Spirakis : clé = u^(1/poids), u ~ random.Random(graine), demandes par référence")
    return stored


def parse_criteria(text: str | None) -> dict[str, int]:
    """« fratrie:2;residence:1 » → {"fratrie": 2, "residence": 1}; unknown names are ignored."""
    weights: dict[str, int] = {}
    for part in (text or "").split(";"):
        name, _sep, weight = part.partition(":")
        if name.strip() in CRITERIA_LABELS and weight.strip().isdigit():
            weights[name.strip()] = int(weight)
    return weights


@dataclass(frozen=True)
class DrawEntry:
    ref: str
    weight: int


@dataclass(frozen=True)
class Drawn:
    ref: str
    weight: int
    key: float
    rank: int


def draw_order(seed: str, entries: Iterable[DrawEntry]) -> list[Drawn]:
    """The draw: the same seed and entries always give the same order (see the module's docstring)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    keyed = []
    for entry in sorted(entries, key=lambda e: e.ref):
        u = 1.0 - rng.random()  # ]0, 1]
        keyed.append((u ** (1.0 / max(entry.weight, 1)), entry))
    keyed.sort(key=lambda pair: (-pair[0], pair[1].ref))
    return [Drawn(e.ref, e.weight, key, rank) for rank, (key, e) in enumerate(keyed, start=1)]
