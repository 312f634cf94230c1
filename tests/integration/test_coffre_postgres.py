"""« Mes documents », the export, the closure and the retention job on a real PostgreSQL."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from forms.dates import today_in_france
from tests.fixtures.app import PASSWORD, login
from tests.fixtures.integration import ADDRESS, create_account, html, post_form, start_demarche
from web.accounts.models import User
from web.coffre.models import StoredDocument
from web.donnees.retention import run_retention
from web.extensions import db

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("clock")]


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (40, 90, 160)).save(out, format="PDF")
    return out.getvalue()


def test_store_export_closure_and_retention_on_postgresql(pg_app):
    user = create_account(pg_app, "famille", username="pg-coffre", prenom="Aline", nom="Coffre")
    famille = pg_app.test_client()
    login(famille, user)
    data = {"fichier": (io.BytesIO(pdf_bytes()), "livret.pdf"), "type_document": "Livret de famille"}
    assert post_form(famille, "/mes-documents", data).status_code == 302
    with pg_app.app_context():
        (stored,) = db.session().execute(select(StoredDocument)).scalars()
        stored_id = stored.id
    task_id = start_demarche(famille)
    data = {**ADDRESS, "date_effet": f"{today_in_france()}", "justificatif_domicile-coffre": str(stored_id)}
    assert post_form(famille, f"/taches/{task_id}", data).status_code == 302

    assert post_form(famille, "/mes-donnees", {}, action="/mes-donnees/export").status_code == 302
    (action,) = html(famille.get("/mes-donnees")).xpath(
        "//form[starts-with(@action, '/mes-donnees/export/')]/@action"
    )
    archive = zipfile.ZipFile(io.BytesIO(post_form(famille, "/mes-donnees", {}, action=action).data))
    assert [r["id"] for r in json.loads(archive.read("mes_documents.json"))] == [stored_id]
    assert len(json.loads(archive.read("demandes.json"))) == 1

    task_id = start_demarche(famille, "cloture_compte")
    done = post_form(famille, f"/taches/{task_id}", {"confirmation": "y", "mot_de_passe_actuel": PASSWORD})
    assert done.status_code == 302
    with pg_app.app_context():
        closed = db.session().get(User, user.id)
        assert closed.username == f"compte-clos-{user.id}"
        assert db.session().execute(select(StoredDocument)).first() is None
    # No SMTP here: the confirmation mail waits, so the closure's own shell is kept for now.
    assert run_retention(pg_app)["comptes_clotures"] == 0
    with pg_app.app_context():
        assert db.session().get(User, user.id).is_enabled is False
