"""How the queues' counts read: exact up to the cap, « plus de 1 000 » beyond (engine/queue_counts.py)."""

from __future__ import annotations

from flask_babel import format_decimal

from engine import api
from web.core.i18n import _

from . import bp


@bp.app_template_global()
def queue_count(count: int) -> str:
    """A tab's number: « 42 », or « plus de 1 000 » when the count stopped at the cap."""
    if count > api.QUEUE_COUNT_CAP:
        return _("plus de %(num)s", num=format_decimal(api.QUEUE_COUNT_CAP))
    return format_decimal(count)


@bp.app_template_global()
def queue_number(count: int) -> str:
    """A count as the language writes it (« 10 000 » in French, « 10,000 » in English)."""
    return format_decimal(count)


def exact_total(counts: dict[str, int], keys: frozenset[str] | set[str]) -> int | None:
    """The sum of some tabs' counts, or None when one of them stopped at the cap."""
    values = [counts.get(key, 0) for key in keys]
    if any(value > api.QUEUE_COUNT_CAP for value in values):
        return None
    return sum(values)


@bp.app_template_global()
def queue_lanes_count(counts: dict[str, int]) -> str:
    """« Tous mes services »: the sum of the services' tabs, « plus de N » if one stopped at the cap."""
    lanes = {key: value for key, value in counts.items() if key}
    total = exact_total(lanes, set(lanes))
    if total is not None:
        return format_decimal(total)
    at_least = sum(min(value, api.QUEUE_COUNT_CAP) for value in lanes.values())
    return _("plus de %(num)s", num=format_decimal(at_least))
