"""Login throttling: progressive delays, hourly and daily ceilings per typed login, a ceiling per IP.

No lock-out that only an administrator can lift (ASVS 6.1.1): every limit either wears off with
time or, for the daily ceiling, is lifted at once by a password reset. The rules (figures from the
configuration, see docs/operator-guide.md):

- The counters are per *login key*: the SHA-256 of the login typed, lower-cased. An unknown name is
  throttled exactly like an existing one, so the answers never tell whether an account exists.
- Only failures after the key's last success and after the account's last password change count
  (a reset therefore unlocks the account).
- `LOGIN_FREE_FAILURES` (5) failures in 15 minutes are free. From then on an attempt must come at
  least 2^(n-5) seconds after the previous failure (n = failures in the last 15 minutes), at most
  `LOGIN_MAX_DELAY_SECONDS`; and the captcha is asked for (when it is available).
- At most `LOGIN_HOURLY_FAILURE_LIMIT` failures per hour and `LOGIN_DAILY_FAILURE_LIMIT` per 24 hours.
- At most `LOGIN_IP_FAILURE_LIMIT` failures per 15 minutes from one IP address (password spraying).

A refused attempt runs no password verification: 1000 attempts in a burst cost at most
`LOGIN_HOURLY_FAILURE_LIMIT` Argon2 verifications. Every attempt is written to `login_attempt` and to
the log (never the password; the typed name with control characters escaped).

Use: `attempt = begin(...)` (committed on its own), `verdict = check(..., attempt=attempt)`, verify the
password only when `verdict.allowed`, then `finish(attempt, ...)`: kept with the request's writes.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.i18n import _l
from web.core.transaction import keep_writes, separate_unit_of_work

from .models import LoginAttempt, User

log = logging.getLogger(__name__)

# Attempts that verified a password (login form, current password re-entered on the profile).
KIND_LOGIN = "login"
KIND_REAUTH = "reauth"
VERIFYING_KINDS = (KIND_LOGIN, KIND_REAUTH)
# Attempts refused before any verification (throttled, or captcha missing or wrong).
KIND_REFUSED = "login_refused"

DELAY_WINDOW = timedelta(minutes=15)
HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)

MSG_WAIT = _l("Trop de tentatives : patientez quelques instants avant de réessayer.")
MSG_RESET = _l(
    "Trop de tentatives pour ce compte aujourd'hui : pour vous connecter, réinitialisez votre mot de "
    "passe avec « J'ai oublié mon mot de passe »."
)


class Refusal(enum.StrEnum):
    DELAY = "delay"  # progressive delay after the free failures
    HOURLY = "hourly"
    DAILY = "daily"  # only a password reset (or 24 hours) lifts it
    IP = "ip"


@dataclass(frozen=True)
class Verdict:
    """What the throttle allows for one attempt."""

    refusal: Refusal | None
    failures: int  # counted failures of the login key in the last 24 hours
    captcha_required: bool
    retry_at: datetime | None = None
    user_id: int | None = None  # the account the login names, if any (for the audit row only)

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def message(self) -> str:  # lazy: shown in the page's language
        return MSG_RESET if self.refusal == Refusal.DAILY else MSG_WAIT


def login_key(login: str) -> str:
    """SHA-256 of the login as typed, trimmed and lower-cased: the table holds no list of names."""
    return hashlib.sha256(login.strip().lower().encode("utf-8")).hexdigest()


def for_log(text: str | None, limit: int = 150) -> str:
    """A quoted, single-line form of user input for a log line (CR, LF and other controls escaped)."""
    quoted = json.dumps((text or "")[:limit], ensure_ascii=False)
    for separator in ("\u0085", "\u2028", "\u2029"):
        quoted = quoted.replace(separator, f"\\u{ord(separator):04x}")
    return quoted


def _account(session: Session, login: str) -> User | None:
    from .services import find_by_login

    return find_by_login(session, login)


def _prior(before: int | None) -> list[Any]:
    """Only the attempts written before this one (all of them when `before` is None)."""
    return [] if before is None else [LoginAttempt.id < before]


def _failures_since(session: Session, key: str, since: datetime, before: int | None) -> list[datetime]:
    """Times of the key's counted failures after `since`, newest first."""
    return list(
        session.execute(
            select(LoginAttempt.created_at)
            .where(
                LoginAttempt.login_key == key,
                LoginAttempt.kind.in_(VERIFYING_KINDS),
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.created_at > since,
                *_prior(before),
            )
            .order_by(LoginAttempt.created_at.desc())
        ).scalars()
    )


def _last_success(session: Session, key: str, before: int | None) -> datetime | None:
    return session.execute(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.login_key == key,
            LoginAttempt.kind.in_(VERIFYING_KINDS),
            LoginAttempt.succeeded.is_(True),
            *_prior(before),
        )
    ).scalar_one_or_none()


def ip_failures(session: Session, ip: str, now: datetime, before: int | None = None) -> int:
    return session.execute(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip == ip,
            LoginAttempt.kind.in_(VERIFYING_KINDS),
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > now - DELAY_WINDOW,
            *_prior(before),
        )
    ).scalar_one()


def free_failures() -> int:
    """Failures of a login allowed before the delays and the captcha."""
    return int(current_app.config["LOGIN_FREE_FAILURES"])


def required_delay(failures_in_window: int) -> timedelta:
    """The wait after the last failure: none for the free failures, then 1, 2, 4 … seconds (capped)."""
    free = free_failures()
    if failures_in_window < free:
        return timedelta(0)
    exponent = min(failures_in_window - free, 30)
    return timedelta(seconds=min(2**exponent, current_app.config["LOGIN_MAX_DELAY_SECONDS"]))


def begin(session: Session, *, login: str, ip: str, kind: str = KIND_LOGIN) -> LoginAttempt:
    """Write the attempt as a failure *before* it is checked, committed at once on its own.

    So concurrent attempts see each other: each is judged on the attempts written before it (by id,
    which SQLite's write lock hands out in commit order), and one still being verified already
    counts as a failure. A burst of parallel requests therefore gets no more verifications than a
    sequence of them, and an attempt cut short by a crash is still counted.
    """
    with separate_unit_of_work() as own:  # before the request's session wrote anything
        attempt = LoginAttempt(
            kind=kind, login_key=login_key(login), ip=ip[:45], succeeded=False, created_at=utcnow()
        )
        own.add(attempt)
    # The request's own copy: its outcome (finish) is committed with the request (keep_writes).
    keep_writes("the outcome of a login or re-authentication attempt")
    return session.merge(attempt)


def check(session: Session, login: str, ip: str, *, attempt: LoginAttempt | None = None) -> Verdict:
    """May this login be tried now from this IP? Runs no password verification.

    With `attempt` (from begin()), only the attempts written before it are counted.
    """
    config = current_app.config
    before = attempt.id if attempt is not None else None
    now = utcnow()
    key = login_key(login)
    user = _account(session, login)
    since = now - DAY
    for moment in (_last_success(session, key, before), user.password_changed_at if user else None):
        if moment is not None and moment > since:
            since = moment
    failures = _failures_since(session, key, since, before)
    count = len(failures)
    captcha_required = count >= free_failures()
    user_id = user.id if user else None

    def refuse(refusal: Refusal, retry_at: datetime | None) -> Verdict:
        return Verdict(refusal, count, captcha_required, retry_at, user_id)

    if count >= config["LOGIN_DAILY_FAILURE_LIMIT"]:
        return refuse(Refusal.DAILY, failures[config["LOGIN_DAILY_FAILURE_LIMIT"] - 1] + DAY)
    if ip_failures(session, ip, now, before) >= config["LOGIN_IP_FAILURE_LIMIT"]:
        return refuse(Refusal.IP, now + DELAY_WINDOW)
    in_hour = [moment for moment in failures if moment > now - HOUR]
    if len(in_hour) >= config["LOGIN_HOURLY_FAILURE_LIMIT"]:
        return refuse(Refusal.HOURLY, in_hour[config["LOGIN_HOURLY_FAILURE_LIMIT"] - 1] + HOUR)
    in_window = [moment for moment in failures if moment > now - DELAY_WINDOW]
    delay = required_delay(len(in_window))
    if delay and now < in_window[0] + delay:
        return refuse(Refusal.DELAY, in_window[0] + delay)
    return Verdict(None, count, captcha_required, None, user_id)


def finish(
    attempt: LoginAttempt,
    *,
    login: str,
    succeeded: bool,
    user_id: int | None = None,
    refused: str | None = None,
) -> None:
    """Set the outcome of an attempt from begin() and write its audit log line; never the password.

    A refused attempt (throttled, captcha missing or wrong) verified no password: it becomes
    KIND_REFUSED and stops counting as a failure.
    """
    attempt.succeeded = succeeded and refused is None
    attempt.user_id = user_id
    if refused is not None:
        attempt.kind = KIND_REFUSED
    outcome = "refused" if refused is not None else ("succeeded" if attempt.succeeded else "failed")
    log.info(
        "Authentication %s: kind=%s login=%s ip=%s user=%s%s",
        outcome,
        attempt.kind,
        for_log(login),
        for_log(attempt.ip, 45),
        user_id if user_id is not None else "-",
        f" reason={refused}" if refused else "",
    )


def client_ip(remote_addr: str | None) -> str:
    return (remote_addr or "inconnue")[:45]
