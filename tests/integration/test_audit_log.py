"""The audit log of security events (issue 11 point 4): who, what, when (UTC), from where, never a secret.

Each event is caused through the real pages (CSRF included), then read back from `audit_event` and on
the admin page « Journal de sécurité ».
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.fixtures.app import PASSWORD, csrf_token
from tests.fixtures.integration import html, post_form, text
from tests.integration.test_reset import NEW_PASSWORD, ask, choose, last_link, open_link
from web.core.audit import AuditEvent, Event, audit, purge
from web.extensions import db
from web.scheduler import run_audit_purge

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def events(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())
        db.session.expunge_all()
        return rows


def kinds(app) -> list[str]:
    return [row.event for row in events(app)]


def dump(app) -> str:
    """Every column of every audit row, as one text (to grep it for secrets)."""
    return "\n".join(
        " | ".join(str(getattr(row, c.name)) for c in AuditEvent.__table__.columns) for row in events(app)
    )


def _login(client, username: str, password: str, **kwargs):
    token = csrf_token(client, "/connexion")
    return client.post(
        "/connexion", data={"username": username, "password": password, "csrf_token": token}, **kwargs
    )


def test_login_failure_success_and_logout_say_who_what_when_and_from_where(app, make_user):
    user = make_user("famille", username="lea.durand")
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert _login(client, "lea.durand", "pas le bon mot de passe").status_code == 200
        assert _login(client, "inconnu.total", "pas le bon non plus").status_code == 200
        ok = _login(client, "lea.durand", PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert ok.status_code == 302
        assert post_form(client, "/profil", {}, action="/deconnexion").status_code == 302
    rows = events(app)
    assert [r.event for r in rows] == [Event.LOGIN_FAILED, Event.LOGIN_FAILED, Event.LOGIN, Event.LOGOUT]
    failed, unknown, login, logout = rows
    assert (failed.actor_id, failed.target) == (None, '"lea.durand"')
    assert unknown.target == '"inconnu.total"'
    assert json.loads(failed.details) == {"refus": "mot de passe"}
    assert (login.actor_id, login.actor_name, login.ip) == (user.id, "lea.durand", "203.0.113.9")
    assert (logout.actor_id, logout.ip) == (user.id, "127.0.0.1")
    assert all(r.created_at == NOW for r in rows)
    assert all(r.created_at.utcoffset() == timedelta(0) for r in rows)  # stored and read back in UTC


def test_behind_a_trusted_proxy_the_client_address_is_logged(app, make_user, app_factory):
    make_user("famille", username="proxy.user")
    proxied = app_factory(TRUSTED_PROXIES=1).test_client()
    forwarded = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.23"}
    assert _login(proxied, "proxy.user", PASSWORD, environ_base=forwarded).status_code == 302
    (row,) = events(app)
    assert (row.event, row.ip) == (Event.LOGIN, "198.51.100.23")


def test_a_throttled_login_is_logged_even_though_it_answers_429(app, make_user, app_factory):
    # The account exists before the failures (the throttle counts failures since its password was set):
    # made under the frozen clock too, or the test would depend on the hour it runs at.
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        make_user("famille", username="tom.petit")
    strict = app_factory(LOGIN_FREE_FAILURES=1, CAPTCHA_ENABLED=False)
    client = strict.test_client()
    with time_machine.travel(NOW, tick=False):
        statuses = [_login(client, "tom.petit", f"faux {n}").status_code for n in range(3)]
    assert statuses == [200, 429, 429]
    rows = events(app)
    assert [r.event for r in rows] == [Event.LOGIN_FAILED] * 3
    assert json.loads(rows[-1].details) == {"refus": "delay"}


def test_password_change_reset_and_the_log_holds_no_secret(app, make_user, client_for):
    make_user("famille", username="camille.martin", email="camille.martin@example.test")
    changed = "Un autre mot de passe bien long 42"
    famille = client_for(make_user("famille", username="jules.roux"))
    page = famille.get("/profil/identifiants")
    response = famille.post(
        "/profil/identifiants",
        data={
            "csrf_token": csrf_token(famille, "/profil/identifiants"),
            "username": "jules.roux",
            "current_password": PASSWORD,
            "new_password": changed,
            "confirmation": changed,
        },
    )
    assert page.status_code == 200
    assert response.status_code == 302, text(response)[:400]
    visitor = app.test_client()
    ask(visitor, "camille.martin@example.test")
    _, raw = last_link(app, "camille.martin@example.test")
    open_link(visitor, raw)
    assert choose(visitor, NEW_PASSWORD).status_code == 302
    assert _login(app.test_client(), "camille.martin", NEW_PASSWORD).status_code == 302
    assert Event.PASSWORD_CHANGED in kinds(app)
    assert Event.PASSWORD_RESET in kinds(app)
    logged = dump(app)
    for secret in (PASSWORD, changed, NEW_PASSWORD, raw):
        assert secret not in logged
    assert "camille.martin" in logged


def test_role_groups_and_account_state_changes_name_the_admin(app, make_user, client_for):
    admin = make_user("admin", username="admin.chef")
    agent = make_user("agent", username="agent.x", groups=["Accueil"])
    client = client_for(admin)
    url = f"/admin/agents/{agent.id}"
    data = {"role": "analyste", "groups": ["Accueil", "Enfance"], "is_enabled": "y"}
    assert post_form(client, url, data).status_code == 302
    assert post_form(client, url, {"role": "analyste", "groups": ["Enfance"]}).status_code == 302
    rows = [r for r in events(app) if r.event not in (Event.LOGIN,)]
    assert [r.event for r in rows] == [
        Event.ROLE_CHANGED,
        Event.GROUPS_CHANGED,
        Event.GROUPS_CHANGED,
        Event.ACCOUNT_ENABLED,
    ]
    assert {(r.actor_name, r.target) for r in rows} == {("admin.chef", "agent.x")}
    assert json.loads(rows[0].details) == {"apres": "analyste", "avant": "agent"}
    assert json.loads(rows[2].details) == {"apres": "['Enfance']", "avant": "['Accueil', 'Enfance']"}


def test_a_publish_and_a_queue_export_are_logged(app, make_user, client_for):
    from tests.integration.test_studio import _adresse_v2

    analyst = client_for(make_user("analyste", username="ana.lyste"))
    page = "/studio/changement_adresse"
    draft = analyst.post(
        f"{page}/brouillon", data={"bpmn": _adresse_v2(), "csrf_token": csrf_token(analyst, page)}
    )
    assert draft.status_code in (200, 302)
    published = analyst.post(
        f"{page}/publier", data={"commentaire": "v2", "csrf_token": csrf_token(analyst, page)}
    )
    assert published.status_code == 302
    agent = client_for(make_user("agent", username="agent.export", groups=["Accueil"]))
    exported = agent.get("/agents/export.csv")
    assert exported.status_code == 200
    exported.close()
    rows = {r.event: r for r in events(app)}
    assert rows[Event.PUBLISH].actor_name == "ana.lyste"
    assert rows[Event.PUBLISH].target == "changement_adresse version 2"
    # A GET writes nothing but this row, committed on its own.
    assert rows[Event.EXPORT].actor_name == "agent.export"
    assert json.loads(rows[Event.EXPORT].details)["format"] == "csv"


def test_a_detail_named_like_a_secret_is_refused(app):
    with app.test_request_context("/", method="POST"):
        for key in ("password", "mot_de_passe", "token", "jeton_reset", "code", "cle", "secret", "captcha"):
            with pytest.raises(ValueError, match="secret"):
                audit(Event.LOGIN, details={key: "x"})
        audit(Event.DATA_EXPORT, target="famille 12", details={"format": "json", "code_postal": "75001"})
        db.session.rollback()


def test_the_admin_page_filters_by_event_user_and_period_and_pages(app, make_user, client_for):
    admin = make_user("admin", username="admin.journal")
    with app.app_context():
        session = db.session()
        for day in range(60):
            at = NOW - timedelta(days=day)
            session.add(AuditEvent(created_at=at, event="login", actor_id=1, actor_name=f"user{day % 3}"))
        session.add(AuditEvent(created_at=NOW, event="export", actor_name="agent.z", target="<b>file</b>"))
        session.commit()
    client = client_for(admin)
    home = html(client.get("/admin/agents"))
    assert home.xpath('//nav[@aria-label="Administration"]//a[@href="/admin/journal"]')
    everything = client.get("/admin/journal")
    assert everything.status_code == 200
    assert "62 événements — page 1 sur 2." in text(everything)  # the admin's own login too
    assert len(html(everything).xpath("//tbody/tr")) == 50
    second = client.get("/admin/journal?page=2")
    assert len(html(second).xpath("//tbody/tr")) == 12
    exports = client.get("/admin/journal?evenement=export")
    assert "1 événement." in text(exports)
    assert "&lt;b&gt;file&lt;/b&gt;" in exports.get_data(as_text=True)  # escaped
    user1 = client.get("/admin/journal?utilisateur=USER1&du=2026-11-28&au=2026-12-07")
    assert "3 événements." in text(user1), text(user1)
    wrong = client.get("/admin/journal?evenement=rien&au=2026-01-01&du=2026-02-01")
    assert wrong.status_code == 400
    assert "Choisissez un événement de la liste." in text(wrong)
    assert "La date de fin précède la date de début." in text(wrong)
    (following,) = html(client.get("/admin/journal?evenement=login")).xpath('//a[@rel="next"]')
    assert following.get("href") == "/admin/journal?evenement=login&page=2"


def test_the_purge_keeps_the_retention_period_and_is_idempotent(app):
    with app.app_context():
        session = db.session()
        days = app.config["AUDIT_RETENTION_DAYS"]
        for age in (0, days - 1, days + 1, days + 400):
            session.add(AuditEvent(created_at=NOW - timedelta(days=age), event="login"))
        session.commit()
        with time_machine.travel(NOW, tick=False):
            assert purge(session, NOW) == 2
            session.commit()
            assert run_audit_purge(app) == 0  # the job, again: nothing left to delete
        ages = sorted((NOW - r.created_at).days for r in session.execute(select(AuditEvent)).scalars())
        assert ages == [0, days - 1]
        db.session.remove()
