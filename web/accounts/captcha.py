"""The CAPTCHA of the signup screen: a code of digits shown as an image and spoken as audio.

How it is kept secret (OWASP ASVS 2.2 / 6.4, RGAA 1.1 and 11):

- A challenge is a random 256-bit id (`secrets.token_urlsafe(32)`) in `captcha_challenge`. Its code
  is never stored nor sent: it is *derived* from the id with an HMAC keyed by the app `SECRET_KEY`
  (`code_for`), so the image and audio routes recompute it server-side, and only whoever holds the
  secret can. The row keeps an HMAC of the code (`answer_hash`), not the code.
- The page, its URLs and its cookies carry only the id; the answer never leaves the server except
  as pixels and sound.
- A challenge expires after 10 minutes and is single use: `verify` consumes it with one atomic
  `UPDATE ... WHERE id = ? AND used_at IS NULL AND expires_at > now` on every attempt, right or
  wrong, so an answer can neither be replayed nor guessed twice on the same image.
- The image and audio are served only while the challenge is live (404 otherwise), `no-store`.

Audio: `captcha.audio.AudioCaptcha` (offline, one recording per character) with Guichet's French
voice, the ten digits spoken by eSpeak NG and shipped in web/accounts/voices/fr (captcha_voice.py
builds them; `make captcha-voice`). The package's own voice speaks English: it is used on the
English pages (the request's language, `web.core.i18n.current_language`; `?langue=en` or
`?langue=fr` asks for one voice whatever the page's language). The code is made of digits only so that it is
spoken clearly.

« Changer le texte de contrôle » is a submit button named `action` with the value
`changer_captcha` (`CHANGE_ACTION`), inside the page's own form:

- with JavaScript, `web/static/js/captcha.js` catches the click and calls `POST /controle/nouveau`
  (CSRF protected), which discards the old challenge and returns JSON `{id, image_url, audio_url}`;
  the script swaps the image, the audio and the hidden id, and announces the change;
- without JavaScript (or if that call fails), the button submits the page's form; the page's view
  asks `change_requested(request.form)` and, if so, re-renders the form (without validating it)
  with `replace(session, request.form.get(ID_FIELD))` as the new challenge id.

`CAPTCHA_ENABLED = false` (tests, kiosks inside the town hall only) makes `verify` accept anything
and the macro render nothing; the routes then answer 404.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
from collections.abc import Mapping
from datetime import timedelta

from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha
from flask import Blueprint, abort, current_app, jsonify, request, url_for
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine.db import utcnow
from web.accounts.captcha_voice import VOICES
from web.accounts.models import CaptchaChallenge
from web.core.i18n import _l, current_language, language_of
from web.core.transaction import keep_writes
from web.extensions import db

bp = Blueprint("captcha", __name__, url_prefix="/controle")

TTL = timedelta(minutes=10)
CODE_LENGTH = 6
# The hidden input that carries the challenge id, rendered by the macro (not a field of the form).
ID_FIELD = "captcha_id"
# name="action" value="changer_captcha": the no-JS « Changer le texte de contrôle ».
CHANGE_ACTION = "changer_captcha"
ERROR_MESSAGE = _l("Le texte recopié ne correspond pas. Un nouveau texte de contrôle vous est proposé.")
IMAGE_SIZE = (220, 80)

# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_ANSWER = 64

_image = ImageCaptcha(width=IMAGE_SIZE[0], height=IMAGE_SIZE[1])
# One voice per language of the pages: French (shipped with Guichet) and the package's English.
_voices = {"fr": AudioCaptcha(voicedir=str(VOICES / "fr")), "en": AudioCaptcha()}
_audio_lock = threading.Lock()
_loaded: set[str] = set()


# --- secrets -------------------------------------------------------------------------------------


def _key(purpose: str) -> bytes:
    """A sub-key of SECRET_KEY for one purpose, so the code and its hash never share a key."""
    secret = current_app.config["SECRET_KEY"]
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(raw, f"guichet.captcha.{purpose}".encode(), hashlib.sha256).digest()


def code_for(challenge_id: str) -> str:
    """The code of a challenge: CODE_LENGTH digits of HMAC(SECRET_KEY, id). Needs an app context."""
    digest = hmac.new(_key("code"), challenge_id.encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest, "big") % 10**CODE_LENGTH).zfill(CODE_LENGTH)


def _answer_hash(challenge_id: str, answer: str) -> str:
    return hmac.new(_key("answer"), f"{challenge_id}:{answer}".encode(), hashlib.sha256).hexdigest()


def _normalize(answer: str | None) -> str:
    """Case- and space-insensitive: « 12 34 56 », « １２３４５６ » and « 123456 » are the same answer."""
    text = unicodedata.normalize("NFKC", answer or "")[:_MAX_ANSWER]
    return "".join(text.split()).casefold()


def _valid_id(challenge_id: str | None) -> bool:
    return challenge_id is not None and _ID_PATTERN.fullmatch(challenge_id) is not None


def enabled() -> bool:
    return bool(current_app.config["CAPTCHA_ENABLED"])


# --- challenges ----------------------------------------------------------------------------------


def new_challenge(session: Session) -> str:
    """Create a challenge (and purge the expired ones); return its id. Flushes, the caller commits."""
    purge_expired(session)
    challenge_id = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        CaptchaChallenge(
            id=challenge_id,
            answer_hash=_answer_hash(challenge_id, code_for(challenge_id)),
            created_at=now,
            expires_at=now + TTL,
        )
    )
    session.flush()
    return challenge_id


def verify(session: Session, challenge_id: str | None, answer: str | None) -> bool:
    """Check an answer and consume the challenge, whatever the outcome (single use).

    The consumption is written in the caller's transaction: kept on every path (keep_writes),
    including a wrong answer, before showing the form again with a new challenge. Always True when
    CAPTCHA_ENABLED is false.
    """
    if not enabled():
        return True
    if challenge_id is None or not _valid_id(challenge_id):
        return False
    now = utcnow()
    result = session.execute(
        update(CaptchaChallenge)
        .where(
            CaptchaChallenge.id == challenge_id,
            CaptchaChallenge.used_at.is_(None),
            CaptchaChallenge.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    keep_writes("a captcha challenge used up, right or wrong")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False  # unknown, expired, or already used (a replay, or the loser of a race)
    stored = session.execute(
        select(CaptchaChallenge.answer_hash).where(CaptchaChallenge.id == challenge_id)
    ).scalar_one()
    return hmac.compare_digest(_answer_hash(challenge_id, _normalize(answer)), stored)


def discard(session: Session, challenge_id: str | None) -> None:
    """Use up a challenge without checking anything (« Changer le texte de contrôle »)."""
    if _valid_id(challenge_id):
        session.execute(
            update(CaptchaChallenge)
            .where(CaptchaChallenge.id == challenge_id, CaptchaChallenge.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def replace(session: Session, old_id: str | None) -> str:
    """Discard the old challenge and return a new one's id. Flushes; kept with the request's writes
    even when the page is a GET or a refusal (4xx): the page shows this challenge."""
    discard(session, old_id)
    keep_writes("a captcha challenge shown on the page")
    return new_challenge(session)


def change_requested(form_data: Mapping[str, str]) -> bool:
    """True when the no-JS « Changer le texte de contrôle » button submitted the page's form."""
    return form_data.get("action") == CHANGE_ACTION


def purge_expired(session: Session) -> int:
    """Delete the expired challenges (used or not); return how many."""
    result = session.execute(
        delete(CaptchaChallenge)
        .where(CaptchaChallenge.expires_at <= utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _live_code(challenge_id: str) -> str:
    """The code of a live challenge, or 404 (unknown, used, expired, or CAPTCHA disabled)."""
    if not enabled() or not _valid_id(challenge_id):
        abort(404)
    live = (
        db.session()
        .execute(
            select(CaptchaChallenge.id).where(
                CaptchaChallenge.id == challenge_id,
                CaptchaChallenge.used_at.is_(None),
                CaptchaChallenge.expires_at > utcnow(),
            )
        )
        .scalar_one_or_none()
    )
    if live is None:
        abort(404)
    return code_for(challenge_id)


# --- rendering -----------------------------------------------------------------------------------


def render_image(code: str) -> bytes:
    return _image.generate(code, format="png").getvalue()


def render_audio(code: str, language: str = "fr") -> bytes:
    voice = _voices[language]
    if language not in _loaded:
        with _audio_lock:
            if language not in _loaded:
                voice.load()
                _loaded.add(language)
    return bytes(voice.generate(code))


def _media(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/<challenge_id>.png")
def image(challenge_id: str) -> Response:
    return _media(render_image(_live_code(challenge_id)), "image/png", "controle.png")


@bp.get("/<challenge_id>.wav")
def audio(challenge_id: str) -> Response:
    # The page's language (web.core.i18n); `?langue=fr|en` asks for one voice explicitly.
    language = language_of(request.args.get("langue")) or current_language()
    return _media(render_audio(_live_code(challenge_id), language), "audio/wav", "controle.wav")


@bp.post("/nouveau")
def renew() -> Response:
    """« Changer le texte de contrôle » with JavaScript: discard the old challenge, return a new one."""
    if not enabled():
        abort(404)
    challenge_id = replace(db.session(), request.form.get(ID_FIELD))
    response = jsonify(
        id=challenge_id,
        image_url=url_for(".image", challenge_id=challenge_id),
        audio_url=url_for(".audio", challenge_id=challenge_id),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
