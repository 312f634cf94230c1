"""Demo data of « Mes documents »: the demo family's store holds four justificatifs (one expired), drawn
with Pillow so that previews show something real. Running it twice changes nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.documents import JPEG, PDF, PNG, CheckedFile

from . import services
from .models import StoredDocument

DOCUMENTS = [
    # (name, kind, format, validity in days from today (None: none), lines drawn on the page)
    ("Facture EDF octobre 2026", "Justificatif de domicile", PDF, 80,
     ["EDF — Facture d'électricité", "Camille MARTIN", "3 rue des Lilas", "78140 Vélizy-Villacoublay",
      "Période : octobre 2026", "Montant : 84,20 €"]),
    ("Livret de famille", "Livret de famille", JPEG, None,
     ["République française", "Livret de famille", "Époux MARTIN", "Enfants : Léa (2017), Hugo (2021)"]),
    ("Attestation CAF 2026", "Attestation CAF", PNG, 200,
     ["Caisse d'allocations familiales", "Attestation de quotient familial", "Allocataire : Camille MARTIN",
      "Quotient familial : 742 €"]),
    ("Attestation d'assurance habitation 2025", "Attestation d'assurance", PDF, -30,
     ["Assurance habitation", "Camille MARTIN", "Contrat n° 45 120 887",
      "Valable du 01/01/2025 au 31/12/2025"]),
]  # fmt: skip


def _page(lines: list[str], colour: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 620, 90), fill=colour)
    font = ImageFont.load_default(size=26)
    small = ImageFont.load_default(size=20)
    draw.text((30, 30), lines[0], fill="white", font=font)
    for row, line in enumerate(lines[1:]):
        draw.text((40, 140 + row * 40), line, fill=(30, 30, 30), font=small)
    draw.line((40, 780, 580, 780), fill=(150, 150, 150), width=2)
    return image


def _content(mime: str, lines: list[str], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    _page(lines, colour).save(out, format={PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}[mime])
    return out.getvalue()


def demo_pdf(lines: list[str], colour: tuple[int, int, int]) -> bytes:
    """A one-page PDF of the demo (a real file: its preview renders like a family's scan)."""
    return _content(PDF, lines, colour)


def load_store_demo(session: Session, user_id: int, today: date) -> None:
    """Fill the demo family's store once (nothing happens when it already holds documents)."""
    if session.execute(select(StoredDocument.id).where(StoredDocument.user_id == user_id)).first():
        return
    colours = [(0, 70, 140), (120, 40, 90), (0, 110, 80), (150, 80, 0)]
    for (name, kind, mime, days, lines), colour in zip(DOCUMENTS, colours, strict=True):
        content = _content(mime, lines, colour)
        filename = f"{name}.{ {PDF: 'pdf', JPEG: 'jpg', PNG: 'png'}[mime] }"
        valid_until = today + timedelta(days=days) if days is not None else None
        services.add(session, user_id, CheckedFile(filename, mime, content), name=name, kind=kind,
                     valid_until=valid_until)  # fmt: skip
