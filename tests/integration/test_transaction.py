"""One commit per request, command and job, by construction (web/core/transaction.py).

Test-only routes and commands are registered on a fresh app of the test database: they write rows
and never call commit(); what is kept is decided by the request's (or command's) outcome alone.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import event, func, insert, select

from engine.db import utcnow
from engine.models import OutboxMessage
from tests.fixtures.app import login
from tests.fixtures.mail import SmtpServer
from web.accounts import throttle
from web.accounts.models import LoginAttempt, User
from web.core.mail import queue_mail
from web.core.transaction import in_unit_of_work, keep_writes, statement_writes
from web.extensions import db
from web.scheduler import run_outbox

ROOT = Path(__file__).resolve().parents[2]
MARK = "transaction-test"  # the kind of the rows the test routes write


def _write_row() -> None:
    session = db.session()
    session.add(LoginAttempt(kind=MARK, login_key="k", ip="127.0.0.1", created_at=utcnow()))
    session.flush()


def _count_rows() -> int:
    return db.session.execute(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.kind == MARK)
    ).scalar_one()


def _rows(app: Flask) -> int:
    with app.app_context():
        return _count_rows()


def _outbox(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()


def _mail(user_id: int) -> None:
    session = db.session()
    user = session.get(User, user_id)
    assert user is not None
    queue_mail(session, "mot_de_passe_modifie", user.email, user=user, changed_at=utcnow())


def _with_test_routes(application: Flask) -> Flask:
    @application.post("/_test/write")
    def write() -> str:
        _write_row()
        return "ok"

    @application.post("/_test/write-then-crash")
    def write_then_crash() -> str:
        _write_row()
        raise RuntimeError("boom after a write")

    @application.post("/_test/write-then-409")
    def write_then_conflict() -> tuple[str, int]:
        _write_row()
        return "conflit", 409

    @application.post("/_test/write-then-abort")
    def write_then_abort() -> str:
        _write_row()
        abort(400)

    @application.get("/_test/write-on-get")
    def write_on_get() -> str:
        _write_row()
        return "ok"

    @application.get("/_test/core-write-on-get")
    def core_write_on_get() -> str:
        row = {"kind": MARK, "login_key": "k", "ip": "127.0.0.1", "created_at": utcnow()}
        db.session().connection().execute(insert(LoginAttempt.__table__), row)  # no ORM flush
        return "ok"

    @application.get("/_test/read")
    def read() -> str:
        return str(_count_rows())

    @application.post("/_test/keep-then-429")
    def keep_then_refuse() -> tuple[str, int]:
        _write_row()
        keep_writes("a refusal that must be remembered")
        return "trop", 429

    @application.post("/_test/keep-then-crash")
    def keep_then_crash() -> str:
        _write_row()
        keep_writes("kept on a refusal, never on a crash")
        raise RuntimeError("boom")

    @application.post("/_test/mail/<int:user_id>")
    def mail(user_id: int) -> str:
        _mail(user_id)
        return "ok"

    @application.post("/_test/mail-then-crash/<int:user_id>")
    def mail_then_crash(user_id: int) -> str:
        _mail(user_id)
        raise RuntimeError("boom after a mail")

    @application.cli.command("_test-write")
    @click.option("--fail", is_flag=True)
    @in_unit_of_work
    def write_command(fail: bool) -> None:
        _write_row()
        _write_row()
        if fail:
            raise click.ClickException("Échec au milieu de la commande.")

    return application


@pytest.fixture
def test_app(app: Flask, app_factory: Callable[..., Flask]) -> Flask:
    """A fresh app on the test database (migrated by `app`), with the test-only routes; 500s as pages."""
    return _with_test_routes(app_factory(WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False))


def test_a_view_write_is_kept_without_the_view_calling_commit(test_app: Flask) -> None:
    assert test_app.test_client().post("/_test/write").status_code == 200
    assert _rows(test_app) == 1


@pytest.mark.parametrize(
    ("url", "status"),
    [("/_test/write-then-crash", 500), ("/_test/write-then-409", 409), ("/_test/write-then-abort", 400)],
)
def test_a_failing_request_leaves_nothing_half_written(test_app: Flask, url: str, status: int) -> None:
    assert test_app.test_client().post(url).status_code == status
    assert _rows(test_app) == 0


def test_a_get_never_writes(test_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    assert test_app.test_client().get("/_test/write-on-get").status_code == 200
    assert _rows(test_app) == 0
    assert "A GET request tried to write: rolled back (/_test/write-on-get)" in caplog.text


def test_a_get_that_writes_through_core_is_rolled_back_too(
    test_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Not only the ORM's flushes: any statement that writes marks the transaction as one that wrote."""
    assert test_app.test_client().get("/_test/core-write-on-get").status_code == 200
    assert _rows(test_app) == 0
    assert "A GET request tried to write: rolled back (/_test/core-write-on-get)" in caplog.text


def test_a_get_that_only_read_ends_with_a_commit(test_app: Flask) -> None:
    """On PostgreSQL a ROLLBACK makes psycopg drop the statements it prepared on the connection: a
    read-only GET commits instead (the same outcome), so the next requests find them prepared."""
    with test_app.app_context():
        engine = db.engine
    ends: list[str] = []
    listeners = {
        "commit": lambda connection: ends.append("commit"),
        "rollback": lambda connection: ends.append("rollback"),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        client = test_app.test_client()
        assert client.get("/_test/read").get_data(as_text=True) == "0"
        assert ends == ["commit"]
        ends.clear()
        assert client.get("/_test/write-on-get").status_code == 200
        assert ends == ["rollback"]
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("SELECT 1", False),
        ("  with recent as (select 1) select * from recent", False),
        ('PRAGMA main.index_list("human_task")', False),
        ("PRAGMA user_version = 3", True),
        ("INSERT INTO t VALUES (1)", True),
        ("\n update t set a = 1", True),
        ("DELETE FROM t", True),
        ("CREATE INDEX i ON t (a)", True),
        ("", True),
    ],
)
def test_a_textual_statement_is_judged_by_its_first_word(statement: str, writes: bool) -> None:
    assert statement_writes(statement, None) is writes


def test_kept_writes_survive_a_refusal_but_not_a_crash(test_app: Flask) -> None:
    client = test_app.test_client()
    assert client.post("/_test/keep-then-429").status_code == 429
    assert _rows(test_app) == 1
    assert client.post("/_test/keep-then-crash").status_code == 500
    assert _rows(test_app) == 1


def test_mails_of_a_failing_request_are_never_sent(
    app: Flask, app_factory: Callable[..., Flask], smtp_server: SmtpServer, make_user: Callable[..., User]
) -> None:
    mail_app = _with_test_routes(
        app_factory(
            WTF_CSRF_ENABLED=False,
            PROPAGATE_EXCEPTIONS=False,
            MAIL_SERVER=smtp_server.host,
            MAIL_PORT=smtp_server.port,
            MAIL_SUPPRESS_SEND=False,
        )
    )
    user = make_user("famille")
    client = mail_app.test_client()
    assert client.post(f"/_test/mail-then-crash/{user.id}").status_code == 500
    assert _outbox(mail_app) == 0
    assert run_outbox(mail_app) == (0, 0)
    assert smtp_server.messages == []
    assert client.post(f"/_test/mail/{user.id}").status_code == 200  # the control: this one goes
    assert run_outbox(mail_app)[0] == 1
    assert [m["X-Envelope-To"] for m in smtp_server.messages] == [user.email]


def test_a_command_failing_halfway_leaves_nothing(test_app: Flask) -> None:
    runner = test_app.test_cli_runner()
    failed = runner.invoke(args=["_test-write", "--fail"])
    assert failed.exit_code == 1, failed.output
    assert "Échec au milieu de la commande." in failed.output
    assert _rows(test_app) == 0
    done = runner.invoke(args=["_test-write"])
    assert done.exit_code == 0, done.output
    assert _rows(test_app) == 2


def test_a_wrong_password_is_counted_although_the_page_is_an_error(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """« Modifier les identifiants » with a wrong current password answers 400; the attempt row stays."""
    user = make_user("famille")
    login(client, user)
    page = client.get("/profil/identifiants").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/profil/identifiants",
        data={
            "csrf_token": token,
            "username": user.username,
            "current_password": "pas le bon",
            "new_password": "un tout nouveau mot de passe",
            "confirmation": "un tout nouveau mot de passe",
        },
    )
    assert response.status_code == 400
    with app.app_context():
        kinds = db.session.execute(
            select(LoginAttempt.kind, LoginAttempt.succeeded).where(LoginAttempt.user_id == user.id)
        ).all()
    assert (throttle.KIND_REAUTH, False) in [tuple(row) for row in kinds]


def _commit_calls(path: Path) -> list[int]:
    """Lines of `path` that call `<anything>.commit()` or the `commit` of web.core.transaction."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func_ = node.func
            if (isinstance(func_, ast.Attribute) and func_.attr == "commit") or (
                isinstance(func_, ast.Name) and func_.id == "commit"
            ):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").endswith("transaction"):
            lines.extend(node.lineno for alias in node.names if alias.name == "commit")
    return sorted(lines)


def test_no_module_of_web_commits_but_the_transaction_module() -> None:
    allowed = {ROOT / "web/core/transaction.py"}
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "web").rglob("*.py"))
        if path not in allowed and (lines := _commit_calls(path))
    }
    assert offenders == {}, f"commit() outside web/core/transaction.py: {offenders}"


def test_the_commit_check_finds_a_commit(tmp_path: Path) -> None:
    sample = tmp_path / "view.py"
    sample.write_text("from web.core.transaction import commit\ndef v(s):\n    s.commit()\n    commit()\n")
    assert _commit_calls(sample) == [1, 3, 4]
