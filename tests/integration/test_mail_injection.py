"""Mail header injection end to end (SECURITY.md check 46): CR/LF in what people type adds no recipient.

A family whose names carry `\\r\\nBcc:` (as if a form had let them through) files a request; an agent
refuses it with a reason that carries the same, and accepts another. Every mail goes through the
outbox to the real aiosmtpd server: each reaches exactly the family's address, with no Bcc or Cc.
"""

from __future__ import annotations

import pytest

from tests.fixtures.integration import decide, file_address_change, outbox
from web.accounts.models import User
from web.extensions import db
from web.scheduler import run_outbox

INJECTIONS = [
    "\r\nBcc: victime@example.test",
    "\nBcc: victime@example.test",
    "\rCc: victime@example.test",
    "\r\n\r\nvictime@example.test",
    "%0d%0aBcc: victime@example.test",
    "\u2028Bcc: victime@example.test",
]


@pytest.fixture
def mail_app(app, app_factory, smtp_server):
    return app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_crlf_in_names_and_reasons_adds_no_recipient(
    app, mail_app, smtp_server, people, client_for, injection
):
    family = people["famille"]
    with app.app_context():
        user = db.session.get(User, family.id)
        user.prenom = f"Camille{injection}"
        user.nom = f"Martin{injection}"
        db.session.commit()
    famille = client_for(family)
    refused = file_address_change(app, famille)
    accepted = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    assert decide(agent, refused.agent_task_id, "refusee", f"Pièce illisible{injection}").status_code == 302
    assert decide(agent, accepted.agent_task_id, "acceptee", f"OK{injection}").status_code == 302
    written = len(outbox(app))
    assert written >= 2
    assert run_outbox(mail_app) == (written, 0)
    assert len(smtp_server.messages) == written
    for message in smtp_server.messages:
        assert message["X-Envelope-To"] == family.email
        assert message.get_all("Bcc") is None
        assert message.get_all("Cc") is None
        assert message["To"] == family.email
        assert "victime" not in str(message["Subject"])
