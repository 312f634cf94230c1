"""Serving at scale: `/sante`, the request log line, ProxyFix for per-IP limits, `guichet serve`."""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from engine import api
from tests.fixtures.app import base_config, csrf_token
from web import migrate
from web.accounts.services import create_user
from web.app import create_app
from web.core.logs import JsonFormatter
from web.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS_HEAD = "7c3f9a2d41e6"
PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sante_reports_database_migrations_and_workers(app):
    client = app.test_client()
    response = client.get("/sante")
    assert response.status_code == 200
    body = response.get_json()
    assert body["statut"] == "ok"
    assert body["base"] == "ok"
    assert body["migrations"]["etat"] == "ok"
    assert body["migrations"]["base"] == body["migrations"]["code"]
    assert body["workers"] == {"etat": "aucun", "dernier_passage": None, "age_secondes": None}
    with app.app_context():
        api.beat(db.new_session(), "hote-1:42", "worker")
    workers = client.get("/sante").get_json()["workers"]
    assert workers["etat"] == "ok"
    assert workers["age_secondes"] < 300


def test_sante_is_503_when_the_schema_is_behind_the_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        migrate.upgrade(db.engine, PREVIOUS_HEAD)
    response = app.test_client().get("/sante")
    assert response.status_code == 503
    body = response.get_json()
    assert body["statut"] == "indisponible"
    assert body["migrations"]["etat"] == "en retard"
    assert body["migrations"]["base"] == [PREVIOUS_HEAD]


def test_sante_is_503_when_the_database_is_unreachable(tmp_path):
    url = f"postgresql+psycopg://guichet@127.0.0.1:{_free_port()}/absente?connect_timeout=5"
    app = create_app(base_config(tmp_path, url))
    response = app.test_client().get("/sante")
    assert response.status_code == 503
    assert response.get_json() == {"statut": "indisponible", "base": "injoignable"}


def test_one_log_line_per_request_with_its_id_user_status_and_duration(app, make_user, caplog):
    caplog.set_level(logging.INFO, logger="guichet.requete")
    client = app.test_client()
    response = client.get("/demarches", headers={"X-Request-ID": "lb-0123456789"})
    assert response.headers["X-Request-ID"] == "lb-0123456789"
    (record,) = [r for r in caplog.records if r.name == "guichet.requete"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "lb-0123456789"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/demarches", 200)
    assert isinstance(line["duration_ms"], float)
    assert "user_id" not in line  # anonymous
    caplog.clear()
    user = make_user("famille")
    from tests.fixtures.app import login

    login(client, user)
    caplog.clear()
    response = client.get("/mes-demandes", headers={"X-Request-ID": "<script>"})  # not an id: replaced
    (record,) = [r for r in caplog.records if r.name == "guichet.requete"]
    line = json.loads(JsonFormatter().format(record))
    assert line["user_id"] == user.id
    assert line["request_id"] == response.headers["X-Request-ID"] != "<script>"
    caplog.clear()
    client.get("/sante")  # load balancers' probes stay out of INFO
    assert [r for r in caplog.records if r.name == "guichet.requete"] == []


def _fail_login(client, ip):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/connexion")
    return client.post(
        "/connexion",
        data={"username": "personne", "password": "mauvais mot de passe", "csrf_token": token},
        headers={"X-Forwarded-For": ip},
    ).status_code


@pytest.mark.parametrize("proxies", [0, 1])
def test_per_ip_limits_count_the_client_behind_the_proxy(app, app_factory, proxies):
    limited = app_factory(
        TRUSTED_PROXIES=proxies, LOGIN_IP_FAILURE_LIMIT=2, LOGIN_FREE_FAILURES=100, CAPTCHA_ENABLED=False
    )
    client = limited.test_client()
    assert _fail_login(client, "203.0.113.1") == 200  # a French « identifiants incorrects »
    assert _fail_login(client, "203.0.113.1") == 200
    assert _fail_login(client, "203.0.113.1") == 429  # this address reached its limit
    other = _fail_login(client, "203.0.113.2")
    if proxies:
        assert other == 200  # another client behind the same proxy is not blocked
    else:
        assert other == 429  # the header is not trusted: every request is the proxy's address


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _serve(
    tmp_path: Path, url: str, *options: str, **env: str
) -> tuple[subprocess.Popen[str], int, tuple[int, bytes]]:
    """`guichet serve` on a free port over the migrated database `url`, once it answers `/sante`:
    the process, its port and that first answer (its stderr piped)."""
    port = _free_port()
    environ = {
        **os.environ,
        "GUICHET_SQLALCHEMY_DATABASE_URI": url,
        "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
        "GUICHET_SECRET_KEY": "test-secret-key",
        "GUICHET_SCHEDULER_ENABLED": "false",
        **env,
    }
    guichet = Path(sys.executable).parent / "guichet"
    args = [str(guichet), "serve", "--bind", f"127.0.0.1:{port}", *options]
    server = subprocess.Popen(args, env=environ, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise AssertionError(server.stderr.read() if server.stderr else "gunicorn exited")
        try:
            return server, port, _get(f"http://127.0.0.1:{port}/sante")
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise AssertionError("gunicorn did not start") from None
            time.sleep(0.2)


@pytest.mark.slow
def test_guichet_serve_runs_gunicorn_workers_and_reloads_gracefully(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        migrate.upgrade(db.engine)
    pidfile = tmp_path / "guichet.pid"
    options = ("--workers", "2", "--pid", str(pidfile))
    server, port, (status, body) = _serve(tmp_path, url, *options, GUICHET_LOG_FORMAT="json")
    try:
        assert status == 200
        assert json.loads(body)["statut"] == "ok"
        assert _get(f"http://127.0.0.1:{port}/demarches")[0] == 200
        master = int(pidfile.read_text().strip())
        assert master == server.pid
        os.kill(master, signal.SIGHUP)  # graceful reload: new workers, no refused request
        for _ in range(20):
            assert _get(f"http://127.0.0.1:{port}/demarches")[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "guichet.requete"]
    assert any(line["path"] == "/demarches" and line["status"] == 200 for line in requests)
    assert all(len(line["request_id"]) == 32 for line in requests)
    assert "Hang up" in err  # gunicorn's master handled the reload


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the 302 itself is the answer looked at


def _visitor() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect()), jar


def _open(opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, body, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 4])
def test_guichet_serve_keeps_each_visitor_to_themselves(tmp_path, threads):
    """With one thread gunicorn runs the sync worker, which serves requests in its main thread: an
    application context inherited from the command would be reused by every request, and its `g`
    (the logged-in user, the CSRF token) passed from one visitor to the next."""
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        migrate.upgrade(db.engine)
        create_user(db.session(), username="camille", password=PASSWORD, email="camille@example.test")
        db.session.commit()
    server, port, _ = _serve(tmp_path, url, "--workers", "1", "--threads", str(threads))
    base = f"http://127.0.0.1:{port}"
    try:
        family, family_cookies = _visitor()
        status, _, page = _open(family, f"{base}/connexion")
        token = CSRF_FIELD.search(page).group(1)
        credentials = {"csrf_token": token, "username": "camille", "password": PASSWORD}
        status, headers, _ = _open(family, f"{base}/connexion", credentials)
        assert (status, headers["Location"]) == (302, "/")
        assert _open(family, f"{base}/mes-demandes")[0] == 200
        stranger, stranger_cookies = _visitor()
        status, headers, _ = _open(stranger, f"{base}/mes-demandes")
        assert (status, headers["Location"]) == (302, "/connexion?next=%2Fmes-demandes")
        for visitor, cookies in ((stranger, stranger_cookies), _visitor()):
            assert _open(visitor, f"{base}/connexion")[0] == 200
            assert "session" in {cookie.name for cookie in cookies}  # its own CSRF token, in its session
        assert {cookie.value for cookie in family_cookies} != {cookie.value for cookie in stranger_cookies}
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)


def test_the_request_line_never_holds_a_token_of_a_link(app, caplog):
    caplog.set_level(logging.INFO, logger="guichet.requete")
    secret = "uKUhCW0621Zv1boPGVYBtANgD86mj0eHjIsOef4TPwk"
    for url in (f"/mot-de-passe/{secret}", f"/activation/{secret}", f"/courriel/verifier/{secret}"):
        app.test_client().get(url)
    paths = [
        json.loads(JsonFormatter().format(r))["path"] for r in caplog.records if r.name == "guichet.requete"
    ]
    assert paths == ["/mot-de-passe/<token>", "/activation/<token>", "/courriel/verifier/<token>"]
    assert secret not in caplog.text
