"""Configuration: one documented DEFAULTS dict, overridden by GUICHET_* environment variables.

`GUICHET_MAIL_SERVER=smtp.ville.fr` sets `MAIL_SERVER`; values are parsed as JSON when they can be
(`GUICHET_MAIL_PORT=587` is an int, `GUICHET_MAIL_USE_TLS=true` a bool). Every key is listed, with
its meaning, in docs/operator-guide.md; a test checks that the two stay in step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"

DEFAULTS: dict[str, Any] = {
    # Where the data lives: a SQLite file in instance/ unless a URL is given (postgresql+psycopg://...).
    "SQLALCHEMY_DATABASE_URI": None,
    # Signs sessions and CSRF tokens; generated into instance/secret_key when absent.
    "SECRET_KEY": None,
    # Public address of the portal, used for links in mails (never the request's Host header).
    # Required in production; in development, `guichet run` uses its own address when unset.
    "BASE_URL": None,
    # "development" or "production": production refuses demo accounts and requires secure cookies.
    "ENV": "development",
    # Name of the town shown in pages and mails.
    "TOWN_NAME": "Ville de Guichet",
    # "A qui s'adresser en cas de problème ?": shown on the portal and in every mail.
    "CONTACT_EMAIL": "relationcitoyens@ville.example",
    # The agent group whose members manage the town facilities (« Structures de la ville »).
    "STRUCTURES_GROUP": "Vie des quartiers",
    # SMTP server; when empty, mails stay in the outbox and the « Courriels (développement) » page shows them.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Guichet <ne-pas-repondre@ville.example>",
    # Show the development outbox page (defaults to on when no MAIL_SERVER is set, off in production).
    "DEV_OUTBOX": None,
    # Run the timer and outbox jobs inside the web process (set false when `guichet worker` runs them).
    "SCHEDULER_ENABLED": True,
    # Seconds between two runs of the timer job and of the outbox job.
    "SCHEDULER_TIMERS_INTERVAL": 30,
    "SCHEDULER_OUTBOX_INTERVAL": 10,
    # Outbox retries (engine/outbox.py): first delay, doubled at each try up to the longest delay; a mail
    # is given up (« échec ») only after GIVE_UP_HOURS of failures, so a day-long SMTP outage loses
    # nothing. A worker keeps the rows it is sending for LEASE_SECONDS (then another worker may take
    # them); admins are alerted once when mail has failed for ALERT_AFTER_MINUTES; rows per batch.
    "OUTBOX_RETRY_FIRST_SECONDS": 60,
    "OUTBOX_RETRY_MAX_SECONDS": 900,
    "OUTBOX_GIVE_UP_HOURS": 72,
    "OUTBOX_LEASE_SECONDS": 600,
    "OUTBOX_ALERT_AFTER_MINUTES": 60,
    "OUTBOX_BATCH_SIZE": 50,
    # Run the jobs (timers, outbox, digest) as Celery tasks on this broker (redis://127.0.0.1:6379/0);
    # empty: `guichet worker` runs them itself.
    "CELERY_BROKER_URL": None,
    # `/sante` reports the workers as late when none ran its jobs for this many seconds.
    "WORKER_HEARTBEAT_MAX_AGE": 300,
    # Log level (DEBUG, INFO, WARNING, ERROR) and format: "json" (one JSON object per line, the
    # default in production) or "texte"; empty means json in production, texte otherwise.
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": None,
    # Number of reverse proxies in front of Guichet that set X-Forwarded-For and X-Forwarded-Proto
    # (0: Guichet is reached directly). Per-IP limits then count the client's address, not the proxy's.
    "TRUSTED_PROXIES": 0,
    # Image and audio captcha on signup and after repeated login failures (issue 3).
    "CAPTCHA_ENABLED": True,
    # Sessions end after this many minutes without a request, and this many hours after the login
    # whatever the activity (ASVS 7.3.1/7.3.2); a « Prolonger » dialog warns 2 minutes before.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    # Login throttling per typed login (web/accounts/throttle.py): free failures in 15 min before the
    # progressive delay (2^(n-free) s) and the captcha, the longest delay, hourly and daily ceilings
    # (a password reset lifts them), and failures per IP address in 15 min.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    "LOGIN_HOURLY_FAILURE_LIMIT": 10,
    "LOGIN_DAILY_FAILURE_LIMIT": 20,
    "LOGIN_IP_FAILURE_LIMIT": 50,
    # « OUBLI DE MOT DE PASSE » per IP address and hour (web/accounts/reset.py): requests before the
    # captcha is asked, and requests before further ones are refused (429).
    "RESET_CAPTCHA_AFTER": 3,
    "RESET_IP_HOURLY_LIMIT": 20,
    # Cookies only over HTTPS (forced on in production).
    "SESSION_COOKIE_SECURE": False,
    # Largest accepted request body, in bytes (uploads included).
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    # Largest document a family or an agent may join to a request (justificatif de domicile…), in bytes;
    # keep MAX_CONTENT_LENGTH above it so that a too large file gets its French message next to the field.
    "MAX_UPLOAD_BYTES": 5 * 1024 * 1024,
    # « Mes documents » (web/coffre): where the files live (outside the web root; empty: instance/coffre;
    # with several web hosts, a directory they all share, e.g. an NFS mount), the room per family in
    # bytes, the document types offered (a JSON list), and the largest image (in pixels) that is opened
    # for a preview or accepted on upload (a decompression bomb declares billions).
    "COFFRE_DIR": None,
    "COFFRE_QUOTA_BYTES": 50 * 1024 * 1024,
    "COFFRE_DOCUMENT_TYPES": [
        "Justificatif de domicile",
        "Livret de famille",
        "Pièce d'identité",
        "Avis d'imposition",
        "Attestation CAF",
        "Carnet de vaccination",
        "Attestation d'assurance",
        "Autre document",
    ],
    "PREVIEW_MAX_PIXELS": 40_000_000,
    # PDF previews are rendered in a subprocess (web/core/preview_worker.py) under these limits:
    # address space (MB), CPU seconds (killed past it; wall-clock timeout 2 × CPU + 5 s), and how many
    # such processes one web process runs at once.
    "PREVIEW_MEMORY_MB": 512,
    "PREVIEW_CPU_SECONDS": 5,
    "PREVIEW_PROCESSES": 2,
    # « Télécharger mes données » (web/donnees): hours an export may be downloaded (once), and the
    # size of the family's documents up to which it is built at once (beyond: by the job, announced by mail).
    "EXPORT_DOWNLOAD_HOURS": 48,
    "EXPORT_INLINE_MAX_BYTES": 5 * 1024 * 1024,
    # Retention (web/donnees/retention.py, run daily at RETENTION_HOUR, Paris time), in days: accounts
    # never activated; drafts untouched (the family is warned DRAFT_WARNING_DAYS before); documents of
    # requests finished that long ago; login attempts and sent mails/SMS.
    "RETENTION_HOUR": 3,
    "RETENTION_UNACTIVATED_DAYS": 30,
    "RETENTION_DRAFT_DAYS": 90,
    "RETENTION_DRAFT_WARNING_DAYS": 14,
    "RETENTION_CLOSED_DOCUMENTS_DAYS": 365,
    "RETENTION_LOG_DAYS": 365,
    # The CPU-time budget of one BPMN expression or script, and the largest stored request (JSON).
    "SCRIPT_CPU_SECONDS": 1.0,
    "MAX_INSTANCE_BYTES": 1024 * 1024,
    # Rows per page in lists and queues.
    "PAGE_SIZE": 50,
    # Family notifications (web/notifications/): SMS backend « developpement » (SMS kept in the outbox
    # and shown on « Courriels (développement) ») or « http » (POST to the provider's URL with a
    # bearer token); the sender name shown on the phone; seconds before a provider call gives up.
    "SMS_BACKEND": "developpement",
    "SMS_HTTP_URL": None,
    "SMS_HTTP_TOKEN": None,
    "SMS_SENDER": "Guichet",
    "SMS_HTTP_TIMEOUT": 10,
    # Security audit log (web/core/audit.py): events older than this many days are purged every day.
    "AUDIT_RETENTION_DAYS": 365,
    # Daily digest mail to every agent (web/delais/digest.py): on or off, and the hour (Paris time).
    "DIGEST_ENABLED": True,
    "DIGEST_HOUR": 7,
    # Expected completion date (engine/estimate.py): completed agent tasks the median is taken over,
    # and the days assumed when a démarche has fewer than 3 of them.
    "ESTIMATE_HISTORY_SIZE": 20,
    "ESTIMATE_DEFAULT_DAYS": 3,
    # Invoices and online payment (web/factures/, docs/operator-guide.md « Factures et paiement en ligne »):
    # the agent group of the finance service; the town's identity printed on the invoices (lines of text);
    # days between issue and due date when none is given.
    "FINANCES_GROUP": "Finances",
    "INVOICE_ISSUER": "Hôtel de ville\nPlace de la Mairie\n00000 Ville de Guichet\nRégie : 01 00 00 00 00",
    "INVOICE_DUE_DAYS": 30,
    # Years invoices and payments are kept after an account's closure (accounting obligation; shown in
    # the closure's confirmation and on « Données personnelles »).
    "INVOICE_RETENTION_YEARS": 10,
    # Hour (Paris time) of the invoices' daily job (web/factures/daily.py): the finance service's
    # reconciliation report of the day before, and the reminder to families of invoices become late.
    "INVOICE_DAILY_HOUR": 6,
    # The eopayment backend (dummy, payfip_ws, tipi, systempayv2, ...) and its options (a JSON object);
    # `dummy` (development and tests) is refused in production. The bank simulator served by Guichet
    # (dummy backend only) defaults to on outside production.
    "PAYMENT_BACKEND": "dummy",
    "PAYMENT_OPTIONS": {},
    "PAYMENT_SIMULATOR": None,
}


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Apply DEFAULTS, then the environment, then the test or CLI overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.from_prefixed_env("GUICHET")
    if overrides:
        app.config.update(overrides)
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'guichet.sqlite3'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if app.config["DEV_OUTBOX"] is None:
        app.config["DEV_OUTBOX"] = not app.config["MAIL_SERVER"] and app.config["ENV"] != "production"
    if not app.config["BASE_URL"]:
        if app.config["ENV"] == "production":
            raise SystemExit(
                "Guichet refuse de démarrer : GUICHET_BASE_URL manque. En production, indiquez l'adresse "
                "publique du portail (par exemple GUICHET_BASE_URL=https://demarches.ville.fr) : "
                "elle sert aux liens des courriels."
            )
        # Development: the address `guichet run` listens on replaces it (web.cli.use_server_address).
        app.config["BASE_URL"] = DEVELOPMENT_BASE_URL
        app.extensions["guichet_base_url_from_server"] = True
    if app.config["PAYMENT_SIMULATOR"] is None:
        app.config["PAYMENT_SIMULATOR"] = app.config["ENV"] != "production"
    if app.config["ENV"] == "production":
        app.config["PAYMENT_SIMULATOR"] = False
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["DEV_OUTBOX"] = False


def _instance_secret(instance: Path) -> str:
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
