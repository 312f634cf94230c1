"""The postal code table, tolerant commune names, date bounds and the content checks of documents."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from forms.dates import add_months
from forms.documents import JPEG, PDF, PNG, parses_as, safe_filename, sniff
from forms.postal import communes_for, normalise_commune, official_commune

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Saint-Rémy-lès-Chevreuse", "saint remy les chevreuse"),
        ("ST REMY LES CHEVREUSE", "saint remy les chevreuse"),
        ("Ste-Marie", "sainte marie"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Œuilly", "oeuilly"),
        ("  Vélizy -- Villacoublay ", "velizy villacoublay"),
    ],
)
def test_normalise_commune(typed, expected):
    assert normalise_commune(typed) == expected


@pytest.mark.parametrize(
    ("code", "commune"),
    [
        ("78140", "Vélizy-Villacoublay"),
        ("75001", "Paris"),
        ("13001", "Marseille"),
        ("20000", "Ajaccio"),  # Corsica
        ("97110", "Pointe-à-Pitre"),  # Guadeloupe
        ("97400", "Saint-Denis"),  # La Réunion
        ("97600", "Mamoudzou"),  # Mayotte
        ("97500", "Saint-Pierre"),  # Saint-Pierre-et-Miquelon
        ("98714", "Papeete"),  # Polynésie française
        ("98800", "Nouméa"),  # Nouvelle-Calédonie
        ("98600", "Uvea"),  # Wallis-et-Futuna
    ],
)
def test_the_table_covers_metropolitan_and_overseas_france(code, commune):
    assert commune in communes_for(code)
    assert official_commune(code, commune.upper()) == commune


def test_a_libelle_d_acheminement_is_accepted():
    assert official_commune("78140", "VELIZY VILLACOUBLAY") == "Vélizy-Villacoublay"
    assert official_commune("78140", "Versailles") is None
    assert communes_for("78999") == []


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 11, 27), -12, date(2025, 11, 27)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_one(day, months, expected):
    assert add_months(day, months) == expected


def picture(kind):
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format=kind)
    return out.getvalue()


def test_content_decides_the_type_never_the_name():
    assert sniff(MINIMAL_PDF) == PDF
    assert sniff(picture("JPEG")) == JPEG
    assert sniff(picture("PNG")) == PNG
    assert sniff(b"MZ\x90\x00") is None
    assert sniff(b"<svg/>") is None
    assert sniff(b"GIF89a") is None
    assert parses_as(MINIMAL_PDF, PDF)
    assert not parses_as(MINIMAL_PDF[:30], PDF)
    assert parses_as(picture("PNG"), PNG)
    assert not parses_as(picture("PNG")[:40], PNG)
    assert not parses_as(picture("JPEG"), PNG)  # a JPEG whose first bytes were made to look like PNG


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("facture.pdf", PDF, "facture.pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("C:\\Users\\moi\\Quittance été.PNG", PNG, "Quittance ete.png"),
        ("virus.exe", JPEG, "virus.jpg"),
        ("<script>.pdf", PDF, "script.pdf"),
        ("", PDF, "document.pdf"),
    ],
)
def test_file_names_are_cleaned_and_get_the_extension_of_their_content(name, mime, expected):
    assert safe_filename(name, mime) == expected
