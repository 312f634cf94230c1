"""Two web hosts (two apps with their own instance folder, one database, one GUICHET_SECRET_KEY): a
document uploaded on one host is downloaded on the other, with the session opened on the first."""

from __future__ import annotations

from sqlalchemy import select

from engine.documents import Document
from tests.fixtures.integration import PDF, file_address_change
from web.extensions import db


def test_a_document_uploaded_on_one_host_downloads_on_the_other(
    app, app_factory, people, client_for, tmp_path
):
    host_b = app_factory(INSTANCE_PATH=str(tmp_path / "hote-b"))
    assert host_b.instance_path != app.instance_path
    famille_a = client_for(people["famille"])  # logged in on host A
    file_address_change(app, famille_a)
    with app.app_context():
        document_id = db.session.execute(select(Document.id)).scalar_one()

    famille_b = host_b.test_client()
    cookie = famille_a.get_cookie("session")
    assert cookie is not None
    famille_b.set_cookie("session", cookie.value)  # the load balancer sends the next request to B
    response = famille_b.get(f"/documents/{document_id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert not any((tmp_path / "hote-b").rglob("*.pdf"))  # nothing was written to a host's disk
