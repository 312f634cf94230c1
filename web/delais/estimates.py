"""« Votre demande sera traitée vers le … »: engine/estimate.py, worded for the family's pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from engine.api import InstanceView, expected_completion
from engine.db import utcnow
from web.core.i18n import _
from web.core.presentation import date_fr

from .services import LATE_MESSAGE


def estimate_for(session: Session, instance: InstanceView) -> dict[str, Any] | None:
    """{"date", "datetime", "text", "late"} for a request waiting for a service, else None."""
    config = current_app.config
    estimate = expected_completion(
        session,
        instance,
        utcnow(),
        history_size=int(config["ESTIMATE_HISTORY_SIZE"]),
        default=timedelta(days=float(config["ESTIMATE_DEFAULT_DAYS"])),
    )
    if estimate is None:
        return None
    day = date_fr(estimate.expected_at, False)
    return {
        "date": day,
        "datetime": estimate.expected_at.isoformat(),
        "text": _(LATE_MESSAGE)
        if estimate.is_late
        else _("Votre demande sera traitée vers le %(date)s.", date=day),
        "late": estimate.is_late,
    }
