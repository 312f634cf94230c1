"""Attendance lists of a session: PDF to print (fpdf2, one line per child and a box per day) and the
same rows as CSV/ODS (web/core/spreadsheets.py, shared with the queues' exports). In the agent's
language; the children's names, classes and schools are the records' data, as stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from web.core.i18n import _, _l, local_date, money, ngettext

from . import rules
from .models import ActivityBooking, ActivitySession

HEADERS = (
    _l("Place"),
    _l("Nom"),
    _l("Prénom"),
    _l("Date de naissance"),
    _l("Classe"),
    _l("École"),
    _l("Dossier famille"),
    _l("Demande"),
    _l("Prix"),
)


def headers() -> list[str]:
    """The columns of the attendance list, in the agent's language."""
    return [str(header) for header in HEADERS]


def rows(placed: list[ActivityBooking]) -> list[list[Any]]:
    return [
        [
            b.place_no,
            b.child.last_name,
            b.child.first_name,
            b.child.birth_date.strftime("%d/%m/%Y") if b.child.birth_date else "",
            b.child.class_name or "",
            b.child.school or "",
            b.child.record.label,
            b.request_ref,
            money(b.price_cents),
        ]
        for b in placed
    ]


def _latin(text: str) -> str:
    """The PDF core fonts hold Latin-1 (French accents); other characters become « ? »."""
    return (
        text.replace("’", "'")
        .replace("«", '"')
        .replace("»", '"')
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def attendance_pdf(
    activity_name: str, town: str, session: ActivitySession, placed: list[ActivityBooking]
) -> bytes:
    """A landscape A4 sheet: the children, then a box per day of the session (up to 10 per page)."""
    days: list[date] = rules.days_of(session.starts_on, session.ends_on, session.weekday_list)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(_latin(_("Liste de présence - %(activity)s - %(session)s", activity=activity_name,
                             session=session.label)))  # fmt: skip
    pdf.set_author(_latin(town))
    pdf.set_auto_page_break(auto=True, margin=12)
    for start in range(0, max(len(days), 1), 10):
        chunk = days[start : start + 10]
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 8, _latin(f"{activity_name} - {session.label}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, _latin(_subtitle(session, len(placed), town)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(10, 7, _latin(_("N°")), border=1)
        pdf.cell(70, 7, _latin(_("Enfant")), border=1)
        pdf.cell(25, 7, _latin(_("Classe")), border=1)
        for day in chunk:
            pdf.cell(17, 7, day.strftime("%d/%m"), border=1, align="C")
        pdf.ln()
        pdf.set_font("Helvetica", "", 9)
        for b in placed:
            pdf.cell(10, 7, str(b.place_no or ""), border=1)
            pdf.cell(70, 7, _latin(f"{b.child.last_name} {b.child.first_name}")[:40], border=1)
            pdf.cell(25, 7, _latin(b.child.class_name or ""), border=1)
            for _day in chunk:
                pdf.cell(17, 7, "", border=1)
            pdf.ln()
    return bytes(pdf.output())


def _subtitle(session: ActivitySession, children: int, town: str) -> str:
    period = _(
        "du %(start)s au %(end)s",
        start=local_date(session.starts_on),
        end=local_date(session.ends_on),
    )
    count = ngettext("%(num)d enfant", "%(num)d enfants", children)
    return _("Liste de présence %(period)s - %(count)s - %(town)s", period=period, count=count, town=town)
