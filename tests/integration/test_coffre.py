"""« Mes documents »: add, list, preview, download, rename, delete; one stored copy per content;
bad input; who may reach what (404 for anyone else); reuse and keep in a démarche."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from engine.documents import Document
from forms.dates import today_in_france
from tests.fixtures.integration import ADDRESS, html, post_form, start_demarche, text
from web.coffre.models import StoredBlob, StoredDocument
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")


def pdf_bytes(colour=(20, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 420), colour).save(out, format="PDF")
    return out.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def bomb_png(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header declares 10 billion pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def zip_bomb() -> bytes:
    """A ZIP of a gigabyte of zeros squeezed into a few kilobytes, named like a PDF by the test."""
    import zipfile

    out = io.BytesIO()
    block = b"\x00" * (1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("justificatif.pdf", "w") as member,
    ):
        for _ in range(64):
            member.write(block)
    return out.getvalue()


def pdf_bomb() -> bytes:
    """A real-looking PDF whose one stream inflates to 300 MB of zeros (300 KB on disk: under the 500 KB
    above which the test client spools the request to a temporary file)."""
    deflater = zlib.compressobj(9)
    block = b"\x00" * (1024 * 1024)
    bomb = b"".join(deflater.compress(block) for _ in range(300)) + deflater.flush()
    head = b"%PDF-1.4\n1 0 obj\n<< /Length " + str(len(bomb)).encode() + b" /Filter /FlateDecode >>\nstream\n"
    return head + bomb + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"


def _empty_folder(app) -> None:
    folder = Path(app.instance_path, "coffre")
    if folder.exists():
        for path in folder.iterdir():
            if path.is_file():
                path.unlink()


@pytest.fixture(autouse=True)
def empty_store(app):
    """The tables are emptied after each test; the store's directory too, before (files left by other
    tests of the session: the demo, the activities' documents) and after."""
    _empty_folder(app)
    yield
    _empty_folder(app)


@pytest.fixture
def famille(people, client_for):
    return client_for(people["famille"])


def add(client, content, filename="facture.pdf", kind="Justificatif de domicile", **extra):
    data = {"fichier": (io.BytesIO(content), filename), "type_document": kind, **extra}
    return post_form(client, "/mes-documents", data)


def stored(app):
    with app.app_context():
        return db.session.execute(select(StoredDocument).order_by(StoredDocument.id)).scalars().all()


def blob_files(app) -> list[Path]:
    return [p for p in Path(app.instance_path, "coffre").iterdir() if p.is_file()]


def error_of(response, name):
    element = html(response).get_element_by_id(f"{name}-erreur", None)
    return None if element is None else " ".join(element.text_content().split())


def test_a_family_adds_previews_downloads_renames_and_deletes_a_document(app, famille):
    content = pdf_bytes()
    response = add(famille, content, valable_jusqu_au=(today_in_france() + timedelta(days=60)).isoformat())
    assert response.status_code == 302
    (document,) = stored(app)
    assert (document.name, document.kind) == ("facture.pdf", "Justificatif de domicile")
    page = famille.get("/mes-documents")
    assert "facture.pdf" in text(page)
    assert "Justificatif de domicile" in text(page)
    show = famille.get(f"/mes-documents/{document.id}")
    assert f"/mes-documents/{document.id}/apercu.png" in show.get_data(as_text=True)

    preview = famille.get(f"/mes-documents/{document.id}/apercu.png")
    assert preview.status_code == 200
    assert preview.mimetype == "image/png"
    with Image.open(io.BytesIO(preview.data)) as image:
        assert image.width <= 600
        assert image.height <= 850
        assert image.getpixel((image.width // 2, image.height // 2))[2] > 150  # the blue page was rendered

    download = famille.get(f"/mes-documents/{document.id}/telecharger")
    assert download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    renamed = post_form(
        famille,
        f"/mes-documents/{document.id}",
        {"nom": "Facture EDF mars", "type_document": "Justificatif de domicile"},
    )
    assert renamed.status_code == 302
    assert stored(app)[0].name == "Facture EDF mars"

    (path,) = blob_files(app)
    deleted = post_form(
        famille, f"/mes-documents/{document.id}", {}, action=f"/mes-documents/{document.id}/supprimer"
    )
    assert deleted.status_code == 302
    assert stored(app) == []
    assert not path.exists()


def test_the_same_content_is_stored_once_even_for_two_families(app, people, client_for, famille):
    content = pdf_bytes()
    add(famille, content)
    add(famille, content, filename="encore.pdf")  # the same file again: no second entry
    add(client_for(people["autre_famille"]), content, filename="autre.pdf")
    assert len(stored(app)) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredBlob)) == 1
    assert len(blob_files(app)) == 1


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("facture.pdf", b"MZ\x90\x00" + b"\x00" * 200, "n'est ni un PDF, ni une image JPEG ou PNG"),
        ("facture.pdf", png_bytes()[:40], "semble endommagé"),
        ("bombe.pdf", None, "n'est ni un PDF, ni une image JPEG ou PNG"),
        ("photo.png", bomb_png(), "dimensions démesurées"),
        ("facture.pdf", pdf_bomb(), "données compressées démesurées"),
    ],
    ids=["executable", "truncated", "zip-bomb", "decompression-bomb", "deflate-bomb-in-a-pdf"],
)
def test_bad_files_are_refused_with_a_french_message(app, famille, filename, content, expected):
    response = add(famille, zip_bomb() if content is None else content, filename=filename)
    assert response.status_code == 422
    assert expected in error_of(response, "fichier")
    assert stored(app) == []
    assert blob_files(app) == []


def test_a_name_with_path_separators_or_control_characters_is_refused(app, famille):
    response = add(famille, pdf_bytes(), nom="../../etc/passwd")
    assert response.status_code == 422
    assert "barre oblique" in error_of(response, "nom")
    response = add(famille, pdf_bytes(), nom="facture\x07")
    assert "caractère de contrôle" in error_of(response, "nom")
    assert stored(app) == []
    # A file name with separators is reduced to its last part.
    add(famille, pdf_bytes(), filename="..\\..\\secret\x01.pdf")
    assert stored(app)[0].name == "secret.pdf"


def test_the_quota_gives_a_french_message_and_keeps_nothing(app, famille):
    app.config["COFFRE_QUOTA_BYTES"] = 3000
    try:
        first = add(famille, png_bytes((40, 30)))
        assert first.status_code == 302
        response = add(famille, pdf_bytes())
    finally:
        app.config["COFFRE_QUOTA_BYTES"] = 50 * 1024 * 1024
    assert response.status_code == 422
    assert "Votre espace de documents est plein" in error_of(response, "fichier")
    assert len(stored(app)) == 1


def test_another_family_and_agents_get_404_on_every_document_url(app, people, client_for, famille):
    add(famille, pdf_bytes())
    (document,) = stored(app)
    base = f"/mes-documents/{document.id}"
    for who in ("autre_famille", "accueil"):
        other = client_for(people[who])
        for url in (base, f"{base}/apercu.png", f"{base}/telecharger"):
            assert other.get(url).status_code == 404, (who, url)
        token = html(other.get("/")).xpath("//input[@name='csrf_token']/@value")[0]
        for url in (base, f"{base}/supprimer"):
            response = other.post(
                url, data={"csrf_token": token, "nom": "x", "type_document": "Autre document"}
            )
            assert response.status_code == 404, (who, url)
    assert stored(app)[0].name == "facture.pdf"


# --- In a démarche: « Choisir dans mes documents », « Garder ce fichier » ------------------------


def test_a_stored_document_is_chosen_in_the_address_change(app, famille):
    content = pdf_bytes()
    add(famille, content, filename="edf.pdf")
    (document,) = stored(app)
    task_id = start_demarche(famille)
    form_page = famille.get(f"/taches/{task_id}")
    assert "Choisir dans mes documents" in text(form_page)
    data = {
        **ADDRESS,
        "date_effet": today_in_france().isoformat(),
        "justificatif_domicile-coffre": str(document.id),
    }
    response = post_form(famille, f"/taches/{task_id}", data)
    assert response.status_code == 302, text(response)[:500]
    with app.app_context():
        (attached,) = db.session.execute(select(Document)).scalars().all()
        assert attached.content == content
        assert attached.filename == "edf.pdf"


def test_an_expired_document_is_flagged_and_refused_when_chosen(app, famille):
    add(famille, pdf_bytes(), valable_jusqu_au=(today_in_france() - timedelta(days=1)).isoformat())
    (document,) = stored(app)
    task_id = start_demarche(famille)
    assert "(expiré le" in text(famille.get(f"/taches/{task_id}"))
    data = {
        **ADDRESS,
        "date_effet": today_in_france().isoformat(),
        "justificatif_domicile-coffre": str(document.id),
    }
    response = post_form(famille, f"/taches/{task_id}", data)
    assert response.status_code in (400, 422)
    assert "n'est plus valable depuis le" in text(response)


def test_an_uploaded_file_is_kept_in_the_store_when_asked(app, famille):
    content = pdf_bytes((10, 160, 40))
    task_id = start_demarche(famille)
    data = {
        **ADDRESS,
        "date_effet": today_in_france().isoformat(),
        "justificatif_domicile": (io.BytesIO(content), "quittance.pdf"),
        "justificatif_domicile-garder": "1",
    }
    response = post_form(famille, f"/taches/{task_id}", data)
    assert response.status_code == 302
    (kept,) = stored(app)
    assert kept.name == "quittance.pdf"
    assert kept.kind == "Justificatif de domicile"
    with app.app_context():
        assert db.session.execute(select(Document.content)).scalar_one() == content


def test_agents_see_a_preview_of_the_request_documents_and_other_services_get_404(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille)
    data = {
        **ADDRESS,
        "date_effet": f"{today_in_france()}",
        "justificatif_domicile": (io.BytesIO(pdf_bytes()), "edf.pdf"),
    }
    assert post_form(famille, f"/taches/{task_id}", data).status_code == 302
    with app.app_context():
        document_id = db.session.execute(select(Document.id)).scalar_one()
    accueil = client_for(people["accueil"])
    preview = accueil.get(f"/documents/{document_id}/apercu.png")
    assert preview.status_code == 200
    assert preview.mimetype == "image/png"
    etat_civil = client_for(people["etat_civil"])
    for url in (f"/documents/{document_id}", f"/documents/{document_id}/apercu.png"):
        assert etat_civil.get(url).status_code == 404
    assert client_for(people["autre_famille"]).get(f"/documents/{document_id}/apercu.png").status_code == 404


def test_the_demo_family_has_documents_to_preview_and_a_second_run_adds_none(app):
    from web.accounts.services import find_by_login
    from web.cli import main

    runner = app.test_cli_runner()
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    with app.app_context():
        family = find_by_login(db.session(), "famille")
        documents = stored(app)
        assert {d.user_id for d in documents} == {family.id}
        assert len(documents) == 4
        assert sum(d.expired(today_in_france()) for d in documents) == 1
        from web.coffre.services import content_of
        from web.core.previews import preview_png

        assert all(preview_png(content_of(d), d.mime) for d in documents)
    assert len(blob_files(app)) == 4
