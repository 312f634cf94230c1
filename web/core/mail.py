"""Mails: rendered from templates/emails/<name>/, written to the engine's outbox, sent by Flask-Mail.

A mail is written in its recipient's language (`recipient_language`), whoever caused it: an agent
browsing in English who decides on a French family's request sends French mail, and a family that
chose English gets English mail even when the agent works in French. The subject and both bodies are
rendered at enqueue time, so the outbox row holds the final text.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from flask import current_app, has_request_context
from flask_login import current_user
from flask_mail import Message
from sqlalchemy.orm import Session

from engine.api import OutgoingMessage, PermanentFailure, ServerUnavailable, enqueue_mail
from engine.db import utcnow
from web.core.i18n import SOURCE, current_language, in_language, language_of
from web.extensions import mail

log = logging.getLogger(__name__)

#: The context names under which the mail templates receive their recipient's account.
RECIPIENT_NAMES = ("user", "agent", "admin")


def recipient_language(account: Any) -> str:
    """The language of mails to `account` (« fr » or « en »).

    The account's choice (`langue`); when it has none, French, except for the person at the page
    (an anonymous visitor signing up or asking for a new password, or the account itself): then the
    language the page is shown in. No account (an address alone) → French."""
    chosen = language_of(getattr(account, "langue", None))
    if chosen:
        return chosen
    if account is None or not has_request_context():
        return SOURCE
    if not current_user or not getattr(current_user, "is_authenticated", False):
        return current_language()
    if getattr(current_user, "id", None) == getattr(account, "id", object()):
        return current_language()
    return SOURCE


def render_mail(name: str, context: dict[str, Any]) -> str:
    """A mail template, given only what mail templates read besides their own context (`now`,
    `current_language`) and the environment's globals (`_`, `url_for`): the pages' context processors
    (menus, session timing, the agent's services…) are not run three times per mail."""
    template = current_app.jinja_env.get_or_select_template(name)
    return template.render({"now": utcnow(), "current_language": current_language(), **context})


def queue_mail(
    session: Session,
    template: str,
    to: str,
    *,
    instance_id: int | None = None,
    notification_id: int | None = None,
    message_id: str | None = None,
    language: str | None = None,
    **context: Any,
) -> OutgoingMessage:
    """Render templates/emails/<template>/ in the recipient's language and write it to the outbox
    (sent after commit).

    `language`: given by the caller when the recipient is not the `user`, `agent` or `admin` of the
    context (an address alone: French by default)."""
    config = current_app.config
    context.setdefault("base_url", config["BASE_URL"].rstrip("/"))
    context.setdefault("town_name", config["TOWN_NAME"])
    context.setdefault("contact_email", config["CONTACT_EMAIL"])
    if language_of(language) is None:
        recipient = next((context[name] for name in RECIPIENT_NAMES if context.get(name) is not None), None)
        language = recipient_language(recipient)
    with in_language(language):
        subject = render_mail(f"emails/{template}/subject.txt", context).strip()
        body_text = render_mail(f"emails/{template}/body.txt", context)
        body_html = render_mail(f"emails/{template}/body.html", context)
    sender_domain = config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].rstrip(">") or "guichet.localhost"
    return enqueue_mail(
        session,
        to=to,
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
        instance_id=instance_id,
        domain=sender_domain,
        notification_id=notification_id,
        message_id=message_id,
    )


def mail_data(donnees: dict[str, Any]) -> dict[str, str]:
    """The extra parameters a BPMN gives a mail (`motif`, `question`…), as the text a template reads
    under `donnees` (escaped in the HTML part like any value). Only what the diagram names explicitly
    is passed: internal comments are never in the task data (forms.registry.TaskForm.data)."""
    return {str(name): "" if value is None else str(value) for name, value in donnees.items()}


def send_message(message: OutgoingMessage) -> None:
    """Send one outbox row over SMTP; a refused recipient is a permanent failure."""
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
    )
    # The outbox row's Message-ID, the same on every retry. Flask-Mail always writes its own random
    # one, so passing it in extra_headers would add a second Message-ID header after that one.
    msg.msgId = message.message_id
    try:
        mail.send(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(str(exc)) from exc
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as exc:
        raise ServerUnavailable(f"serveur de courriel injoignable : {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code == 421:  # « service not available, closing transmission channel »
            raise ServerUnavailable(f"serveur de courriel indisponible : {exc}") from exc
        raise
    except smtplib.SMTPException:
        raise
    except OSError as exc:  # refused, unreachable, timed out, name not resolved
        raise ServerUnavailable(f"serveur de courriel injoignable : {exc}") from exc
