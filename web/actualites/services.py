"""News: who sees what, the server-side sanitiser (nh3, an allowlist) and the image check (Pillow)."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import nh3
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.i18n import _
from web.famille.services import audience_of

from .models import Audience, NewsItem

PARIS = ZoneInfo("Europe/Paris")
COMMUNICATION = "Communication"  # the agent group whose members write the news
PER_PAGE = 10

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h2", "h3", "blockquote", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def may_write_news(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_staff and COMMUNICATION in user.groups


def sanitise(text: str) -> str:
    """Simple formatting kept, everything else removed: scripts and styles with their content, event
    handlers and every other attribute, `javascript:` and `data:` links. Plain text becomes paragraphs."""
    text = (text or "").strip()
    if not text:
        return ""
    if not re.search(r"<[a-zA-Z/!]", text):
        paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
        text = "".join(
            "<p>" + html.escape(p.strip()).replace("\n", "<br>") + "</p>" for p in paragraphs if p.strip()
        )
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class ImageRefused(ValueError):
    """A sentence saying why the image is refused (in the reader's language)."""


IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_SIDE = 1200


def process_image(data: bytes) -> tuple[bytes, str]:
    """Check that the bytes are an image (by content), resize it and re-encode it (metadata dropped)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = ImageRefused(_("Le fichier n'est pas une image JPEG, PNG, GIF ou WebP lisible."))
    Image.MAX_IMAGE_PIXELS = 40_000_000
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in IMAGE_FORMATS:
            raise refused
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            if image.mode in ("RGBA", "LA", "P"):
                image.convert("RGBA").save(out, "PNG", optimize=True)
                return out.getvalue(), "image/png"
            image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue(), "image/jpeg"
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise refused from error


def start_of_day(day: date) -> datetime:
    """Midnight in Paris on that day, as an aware UTC datetime."""
    from datetime import UTC

    return datetime.combine(day, time(0, 0), tzinfo=PARIS).astimezone(UTC)


def local_day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(PARIS).date()


def _live(now: datetime) -> Any:
    return and_(NewsItem.published_at <= now, or_(NewsItem.expires_at.is_(None), NewsItem.expires_at > now))


def visible_to(
    session: Session, user: Any, now: datetime | None = None, *, targeted_only: bool = False
) -> Select[Any]:
    """The live news a visitor may read: the public ones, plus for a family those aimed at one of its
    children's activities or services. Nothing else, whoever asks (agents read the public ones here)."""
    now = now or utcnow()
    activity_ids, services = audience_of(session, user)
    allowed = [] if targeted_only else [NewsItem.audience == Audience.TOUS]
    if activity_ids:
        allowed.append(
            and_(NewsItem.audience == Audience.ACTIVITE, NewsItem.audience_activity_id.in_(activity_ids))
        )
    if services:
        allowed.append(and_(NewsItem.audience == Audience.SERVICE, NewsItem.audience_service.in_(services)))
    if not allowed:
        return select(NewsItem).where(False)
    return select(NewsItem).where(_live(now), or_(*allowed))


def public_news(now: datetime | None = None) -> Select[Any]:
    return select(NewsItem).where(_live(now or utcnow()), NewsItem.audience == Audience.TOUS)


@dataclass(frozen=True)
class Page:
    items: list[NewsItem]
    number: int
    count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def paginate(session: Session, query: Select[Any], number: int, per_page: int = PER_PAGE) -> Page:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    count = max(1, -(-total // per_page))
    number = min(max(1, number), count)
    items = list(
        session.scalars(
            query.order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
            .offset((number - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, number, count, total)


def latest(session: Session, query: Select[Any], limit: int = 3) -> list[NewsItem]:
    return list(
        session.scalars(query.order_by(NewsItem.published_at.desc(), NewsItem.id.desc()).limit(limit))
    )


def readable(session: Session, news_id: int, user: Any) -> NewsItem | None:
    """The item if this user may read it now (communication agents: always, to check before it is live)."""
    if may_write_news(user):
        return session.get(NewsItem, news_id)
    return session.scalars(visible_to(session, user).where(NewsItem.id == news_id)).first()
