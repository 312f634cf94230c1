"""SMS backends, chosen by GUICHET_SMS_BACKEND: « developpement » (kept in the outbox) or « http »."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine.api import OutgoingMessage, PermanentFailure, ServerUnavailable

log = logging.getLogger(__name__)
#: The provider's gateway or service is down (not this SMS's fault).
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


class SmsBackend(Protocol):
    """Sends one SMS outbox row; raises PermanentFailure when retrying cannot help."""

    def send(self, message: OutgoingMessage) -> None: ...


@dataclass(frozen=True)
class DevelopmentSms:
    """Sends nothing: the SMS stays readable on « Courriels (développement) » and in the log."""

    def send(self, message: OutgoingMessage) -> None:
        log.info("SMS (développement) pour %s : %s", message.recipient, message.body_text)


@dataclass(frozen=True)
class HttpSms:
    """POSTs JSON {"to", "text", "sender", "id"} to the provider's URL with `Authorization: Bearer`.

    2xx: sent. 4xx (but 408 and 429): refused for good (a bad number). 500, 408, 429: tried again
    later by the outbox (backoff, then « échec » after the last try). No answer, 502, 503 or 504: the
    provider is out of reach (`ServerUnavailable`): the SMS channel is marked failing like the mail's
    (the batch stops, the admins are alerted after GUICHET_OUTBOX_ALERT_AFTER_MINUTES, « File
    d'envoi » shows it) and the first SMS that leaves again makes the waiting ones due at once.
    """

    url: str
    token: str
    sender: str = "Guichet"
    timeout: float = 10.0

    def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(
            {
                "to": message.recipient,
                "text": message.body_text,
                "sender": self.sender,
                "id": message.message_id,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked by sms_backend()
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": message.message_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            detail = f"fournisseur SMS : HTTP {exc.code}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise PermanentFailure(detail) from exc
            if exc.code in UNAVAILABLE_STATUSES:
                raise ServerUnavailable(f"fournisseur SMS indisponible : HTTP {exc.code}") from exc
            raise RuntimeError(detail) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ServerUnavailable(f"fournisseur SMS injoignable : {exc}") from exc


def sms_backend(config: Mapping[str, Any]) -> SmsBackend:
    """The backend the configuration names (SMS_BACKEND, SMS_HTTP_URL, SMS_HTTP_TOKEN, SMS_SENDER)."""
    name = config["SMS_BACKEND"]
    if name == "developpement":
        return DevelopmentSms()
    if name == "http":
        url = config["SMS_HTTP_URL"] or ""
        if not url.startswith(("https://", "http://")):
            raise ValueError("GUICHET_SMS_HTTP_URL doit être une adresse http:// ou https://")
        return HttpSms(
            url,
            config["SMS_HTTP_TOKEN"] or "",
            config["SMS_SENDER"],
            float(config["SMS_HTTP_TIMEOUT"]),
        )
    raise ValueError(f"GUICHET_SMS_BACKEND inconnu : {name!r} (developpement ou http)")
