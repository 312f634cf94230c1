"""Route a family notification by `User.contact_prefere`, record its delivery, fall back on failure.

A notification is a row of `notification` plus one outbox row per channel tried (the row carries
`channel` and `notification_id`). The preferred channel goes first: « mobile » → SMS, anything else
(« courriel », « telephone »: nobody is called automatically) → courriel; the other channel is the
fallback, used when the first one has no address (no mobile number) or fails for good (refused, or
still failing after the outbox's last try). Every step is an internal entry of the request's
timeline: « en attente », « envoyé », « échec », « repli ».
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, render_template
from sqlalchemy.orm import Session

from engine.api import (
    InstanceView,
    OutboxStatus,
    OutgoingMessage,
    Visibility,
    add_event,
    enqueue_mail,
    request_of,
)
from engine.db import utcnow
from web.accounts.models import User
from web.core.i18n import SOURCE, _, in_language
from web.core.mail import mail_data, queue_mail, recipient_language, send_message

from .models import Channel, DeliveryStatus, Notification
from .sms import sms_backend

log = logging.getLogger(__name__)

CHANNEL_LABELS = {Channel.COURRIEL: "courriel", Channel.SMS: "SMS"}
#: The longest SMS text sent (longer messages are cut, with « … »).
SMS_MAX_CHARS = 300


@dataclass(frozen=True)
class ChannelRoute:
    """How one channel reaches a family: its address on the account, and how to queue a message."""

    channel: Channel
    address: Callable[[User], str | None]
    missing: str  # why the channel cannot be used, for the timeline


ROUTES = {
    Channel.COURRIEL: ChannelRoute(Channel.COURRIEL, lambda user: user.email, "pas d'adresse de courriel"),
    Channel.SMS: ChannelRoute(Channel.SMS, lambda user: user.mobile, "pas de numéro de mobile"),
}


def channel_order(user: User) -> tuple[Channel, Channel]:
    """The preferred channel first, then the fallback."""
    if user.contact_prefere == "mobile":
        return (Channel.SMS, Channel.COURRIEL)
    return (Channel.COURRIEL, Channel.SMS)


def _event(session: Session, instance: InstanceView | None, label: str, comment: str | None = None) -> None:
    if instance is not None:
        add_event(
            session,
            instance,
            "notification_recorded",
            label,
            visibility=Visibility.INTERNAL,
            comment=comment,
            role="Guichet",
        )


def _queue(
    session: Session, notification: Notification, user: User, instance: InstanceView | None
) -> OutgoingMessage:
    """Write the outbox row of the notification on its current channel."""
    if notification.channel == Channel.SMS:
        language = recipient_language(user)
        with in_language(language):
            text = sms_text(notification, user, instance, language)
            if len(text) > SMS_MAX_CHARS:
                text = text[: SMS_MAX_CHARS - 1] + "…"
            subject = _("SMS : %(text)s", text=text[:80])
        row = enqueue_mail(
            session,
            to=user.mobile or "",
            subject=subject,
            body_text=text,
            instance_id=notification.instance_id,
            channel=Channel.SMS,
            notification_id=notification.id,
        )
    else:
        context: dict[str, Any] = {
            "user": user,
            "message": notification.message,
            "donnees": json.loads(notification.donnees) if notification.donnees else {},
        }
        if instance is not None:
            context.update(instance=instance, demarche=instance.definition.title)
        row = queue_mail(
            session,
            notification.template or "notification",
            user.email,
            instance_id=notification.instance_id,
            notification_id=notification.id,
            **context,
        )
    return row


def sms_text(notification: Notification, user: User, instance: InstanceView | None, language: str) -> str:
    """The SMS: in French, the text the diagram wrote (`message`, the town's wording); in another
    language, `templates/emails/<template>/sms.txt` (else the generic `notification/sms.txt`) rendered
    in that language, since the diagram's text exists only in French."""
    if language == SOURCE:
        return notification.message
    names = [f"emails/{notification.template}/sms.txt"] if notification.template else []
    context: dict[str, Any] = {
        "user": user,
        "message": notification.message,
        "donnees": json.loads(notification.donnees) if notification.donnees else {},
        "base_url": current_app.config["BASE_URL"].rstrip("/"),
    }
    if instance is not None:
        context.update(instance=instance, demarche=instance.definition.title)
    return " ".join(render_template([*names, "emails/notification/sms.txt"], **context).split())


def notify(
    session: Session,
    user: User,
    message: str,
    *,
    instance: InstanceView | None = None,
    template: str | None = None,
    donnees: dict[str, Any] | None = None,
) -> Notification:
    """Queue a notification for the family on its preferred channel (or the fallback); returns it.

    `donnees`: the mail template's extra parameters (read as `donnees.<name>`), kept for a fallback."""
    preferred, fallback = channel_order(user)
    chosen = preferred if ROUTES[preferred].address(user) or not ROUTES[fallback].address(user) else fallback
    now = utcnow()
    notification = Notification(
        instance_id=instance.id if instance is not None else None,
        user_id=user.id,
        message=message,
        template=template,
        donnees=json.dumps(mail_data(donnees), ensure_ascii=False) if donnees else None,
        channel=chosen,
        status=DeliveryStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    if not ROUTES[chosen].address(user):
        notification.status = DeliveryStatus.FAILED
        session.add(notification)
        session.flush()
        _event(session, instance, "Notification non envoyée (échec) : aucun moyen de contact", message)
        return notification
    session.add(notification)
    session.flush()
    if chosen != preferred:
        _event(
            session,
            instance,
            f"Notification : {ROUTES[preferred].missing}, repli sur le {CHANNEL_LABELS[chosen]}",
        )
    _queue(session, notification, user, instance)
    _event(session, instance, f"Notification par {CHANNEL_LABELS[chosen]} en attente d'envoi", message)
    return notification


def record_delivery(session: Session, row: OutgoingMessage) -> None:
    """The outbox's `on_done` hook: note « envoyé » or « échec », and fall back to the other channel."""
    if row.notification_id is None:
        return
    notification = session.get(Notification, row.notification_id)
    if notification is None:
        return
    instance = request_of(session, notification.instance_id) if notification.instance_id else None
    label = CHANNEL_LABELS[Channel(row.channel)]
    notification.updated_at = utcnow()
    if row.status == OutboxStatus.SENT:
        notification.status = DeliveryStatus.SENT
        _event(session, instance, f"Notification envoyée par {label}")
        return
    user = User.load_plain(session, notification.user_id)
    other = Channel.COURRIEL if row.channel == Channel.SMS else Channel.SMS
    can_fall_back = (
        notification.status == DeliveryStatus.PENDING
        and user is not None
        and bool(ROUTES[other].address(user))
    )
    if not can_fall_back:
        notification.status = DeliveryStatus.FAILED
        _event(session, instance, f"Échec de la notification par {label}", row.last_error)
        return
    notification.status = DeliveryStatus.FALLBACK
    notification.channel = other
    _event(
        session,
        instance,
        f"Échec de la notification par {label} : repli sur le {CHANNEL_LABELS[other]}",
        row.last_error,
    )
    _queue(session, notification, user, instance)  # type: ignore[arg-type]


def outbox_channels(app: Flask) -> set[str]:
    """The channels the outbox job sends: SMS always (the development backend only logs them), mails
    when an SMTP server is configured (otherwise they wait on « Courriels (développement) »)."""
    channels = {Channel.SMS.value}
    if app.config["MAIL_SERVER"]:
        channels.add(Channel.COURRIEL.value)
    return channels


def send_outbox_message(message: OutgoingMessage) -> None:
    """Send one outbox row on its channel (within an app context)."""
    if message.channel == Channel.SMS:
        sms_backend(current_app.config).send(message)
    else:
        send_message(message)
