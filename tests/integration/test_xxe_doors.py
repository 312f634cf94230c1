"""XXE and entity expansion through every door a BPMN file comes in by (ASVS 1.5.1, 15.2.2).

The parser itself is tested in tests/unit/test_bpmn_parsing.py and, over the network, in
tests/unit/test_xxe_canary.py. Here each payload is slipped into the real « Changement d'adresses
postales » file and sent through the studio's « Téléverser un fichier .bpmn », the studio's draft then
« Publier », and `guichet deploy`: each is refused in French, no secret file content comes back, and
no version is deployed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.models import ProcessDefinition
from tests.fixtures.app import WORKFLOWS, csrf_token
from tests.fixtures.integration import text
from web.cli import main
from web.extensions import db

SECRET = "CANARI-SECRET-XXE-4b1d"
REAL = (WORKFLOWS / "changement_adresse.bpmn").read_text(encoding="utf-8")
KEY = "changement_adresse"


def payloads(secret: Path) -> dict[str, str]:
    """name → the real file with a DOCTYPE before its root and, where one is declared, the entity used
    in the name of « Instruire la demande »."""
    target = secret.as_uri()
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    cases = {
        "entité externe": (f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{target}">]>', "&xxe;"),
        "DTD externe": (f'<!DOCTYPE d SYSTEM "{target}">', None),
        "entité paramètre": (f'<!DOCTYPE d [<!ENTITY % ext SYSTEM "{target}">%ext;]>', None),
        "par erreur": (
            f'<!DOCTYPE d [<!ENTITY % file SYSTEM "{target}">'
            "<!ENTITY % eval \"<!ENTITY &#x25; error SYSTEM 'file:///nonexistent/%file;'>\">%eval;%error;]>",
            None,
        ),
        "milliard de rires": (f"<!DOCTYPE d [{laughs}]>", "&lol9;"),
        "explosion quadratique": (f'<!DOCTYPE d [<!ENTITY a "{"a" * 20_000}">]>', "&a;" * 2_000),
    }
    out = {}
    for name, (doctype, use) in cases.items():
        body = REAL.replace("Instruire la demande", use) if use else REAL
        out[name] = body.replace("<bpmn:definitions", doctype + "\n<bpmn:definitions", 1)
    return out


def xinclude(secret: Path) -> str:
    return REAL.replace(
        "<bpmn:process ",
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret.as_uri()}" parse="text"/>'
        "<bpmn:process ",
        1,
    )


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def versions(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(ProcessDefinition)).scalar_one()


def test_every_payload_is_refused_at_every_door(app, make_user, client_for, secret: Path, tmp_path: Path):
    studio = client_for(make_user("analyste"))
    before = versions(app)
    tried = 0
    for name, xml in payloads(secret).items():
        data = xml.encode("utf-8")
        # « Téléverser un fichier .bpmn »
        token = csrf_token(studio, "/studio/")
        upload = studio.post(
            "/studio/importer",
            data={"csrf_token": token, "fichier": (io.BytesIO(data), "piege.bpmn")},
            content_type="multipart/form-data",
        )
        assert upload.status_code == 400, (name, upload.status_code)
        assert SECRET not in upload.get_data(as_text=True), name
        # The draft, then « Publier » (the draft may keep any text: publishing parses it).
        page = f"/studio/{KEY}"
        saved = studio.post(f"{page}/brouillon", data={"bpmn": xml, "csrf_token": csrf_token(studio, page)})
        assert SECRET not in saved.get_data(as_text=True), name
        published = studio.post(
            f"{page}/publier", data={"commentaire": name, "csrf_token": csrf_token(studio, page)}
        )
        assert published.status_code in (400, 409), (name, published.status_code)
        assert SECRET not in published.get_data(as_text=True), name
        assert "lollollol" not in published.get_data(as_text=True)
        if published.status_code == 400:
            assert "refusé" in text(published) or "refusée" in text(published), name
        # `guichet deploy` (the operator's door).
        path = tmp_path / "piege.bpmn"
        path.write_bytes(data)
        result = app.test_cli_runner().invoke(main, ["deploy", str(path)], catch_exceptions=False)
        assert result.exit_code == 1, (name, result.output)
        assert SECRET not in result.output, name
        tried += 3
    assert versions(app) == before
    # XInclude is not processed: the element stays an unknown element, the file is never read.
    token = csrf_token(studio, "/studio/")
    data = xinclude(secret).encode()
    upload = studio.post(
        "/studio/importer",
        data={"csrf_token": token, "fichier": (io.BytesIO(data), "piege.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert SECRET not in upload.get_data(as_text=True)
    assert SECRET not in studio.get(f"/studio/{KEY}/brouillon.bpmn").get_data(as_text=True)
    tried += 1
    print(f"XXE and entity bombs: {len(payloads(secret)) + 1} payloads, {tried} door cells, 0 accepted")
