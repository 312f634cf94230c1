"""Languages of the portal: French, the source text of every message, and English.

Every string a page, a mail or an error shows is written in French in the code and wrapped in
`gettext` (`_`) or, at import time, `lazy_gettext` (`_l`); templates use `{{ _("…") }}` or
`{% trans %}`. The English catalogue is a set of `.po` files, one per area, in
`web/translations/en/` (read at start, merged in memory: nothing to compile, nothing written on
disk). `tests/unit/test_translations.py` fails on any French message without its English text.

The language of a request: the account's choice (`user_account.langue`), else the `langue` cookie
that the header switch sets for visitors, else the browser's `Accept-Language`, else French. Mails
use the recipient's language (`in_language`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, support
from babel.dates import parse_pattern
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from flask import Flask, has_request_context, request
from flask_babel import Babel, Domain, force_locale, get_locale
from flask_babel import gettext as gettext
from flask_babel import lazy_gettext as lazy_gettext
from flask_babel import ngettext as ngettext
from flask_login import current_user
from wtforms.i18n import messages_path

SOURCE = "fr"
LANGUAGES = ("fr", "en")
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
COOKIE = "langue"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"

_ = gettext
_l = lazy_gettext


def language_of(value: Any) -> str | None:
    """`value` when it names one of the portal's languages, else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


def select_language() -> str:
    """The language of the current request (see the module's docstring); French in jobs and the CLI."""
    if not has_request_context():
        return SOURCE
    if current_user and getattr(current_user, "is_authenticated", False):
        chosen = language_of(getattr(current_user, "langue", None))
        if chosen:
            return chosen
    return visitor_language()


def visitor_language() -> str:
    """Without an account's choice: the `langue` cookie, else the browser's languages, else French."""
    return (
        language_of(request.cookies.get(COOKIE))
        or request.accept_languages.best_match(LANGUAGES, default=SOURCE)
        or SOURCE
    )


def current_language() -> str:
    """« fr » or « en »; French outside a request."""
    locale = get_locale()
    return locale.language if locale is not None else SOURCE


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """Render a mail (or anything else) in its recipient's language."""
    with force_locale(language_of(language) or SOURCE):
        yield


@cache
def catalogue(language: str) -> support.Translations:
    """Every `.po` file of `web/translations/<language>/` merged into one translation table.

    Entries without a translation or marked fuzzy are left out: the French text shows instead (and
    the completeness test fails)."""
    merged = Catalog(locale=language)
    for path in sorted((TRANSLATIONS / language).glob("*.po")):
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if message.id and message.string and not message.fuzzy and message.id not in merged:
                merged[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return support.Translations(buffer)


class _CatalogueDomain(Domain):
    """Flask-Babel's domain, reading the merged in-memory catalogue instead of compiled `.mo` files."""

    def get_translations(self) -> support.NullTranslations:
        locale = get_locale()
        if locale is None or locale.language == SOURCE:
            return _NULL
        return catalogue(locale.language)


_NULL = support.NullTranslations()


@cache
def _wtforms_catalogue(language: str) -> support.NullTranslations:
    """WTForms' own messages (« Ce champ est requis. ») in one language, read once per process."""
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class _WtformsMessages:
    """What Flask-WTF looks for on the request (`request.wtforms_translations`): without it, it reads
    and parses WTForms' `.mo` file again at every request that builds a form (≈ 4 % of a page)."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalogue(current_language()).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(current_language()).ungettext(singular, plural, n)


_WTFORMS_MESSAGES = _WtformsMessages()


class _Babel(Babel):
    @property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        return _DOMAIN


_DOMAIN = _CatalogueDomain()


def register(app: Flask) -> None:
    """Flask-Babel on the app: `_`, `ngettext` and `{% trans %}` in templates, the language of each
    request, `lang` of the page (`current_language`), the date filters."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    _Babel(app, locale_selector=select_language)
    from engine.api import install_translator

    # The engine's messages (engine/i18n.py) in the request's language; its stored French texts are
    # matched against its patterns only for a reader of another language.
    install_translator(gettext, needed=lambda: current_language() != SOURCE, language=current_language)
    app.before_request(_share_wtforms_messages)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks: whitespace collapsed

    app.add_template_filter(money, "money")  # amounts in cents: « 12,50 € » / « €12.50 »

    @app.context_processor
    def inject_language() -> dict[str, Any]:
        return {
            "current_language": current_language(),
            "language_names": LANGUAGE_NAMES,
            "other_languages": [code for code in LANGUAGES if code != current_language()],
        }


def _share_wtforms_messages() -> None:
    request.wtforms_translations = _WTFORMS_MESSAGES  # type: ignore[attr-defined]


def money(cents: int) -> str:
    """1234 50 → « 1 234,50 € » in French (no-break spaces: it never wraps), « €1,234.50 » in English."""
    language = current_language()
    if language == SOURCE:
        sign = "-" if cents < 0 else ""
        whole, rest = divmod(abs(int(cents)), 100)
        grouped = f"{whole:,}".replace(",", NBSP)
        return f"{sign}{grouped},{rest:02d}{NBSP}€"
    return format_currency(Decimal(int(cents)) / 100, "EUR", locale=Locale.parse(language))


def local_date(value: datetime | date | None, with_time: bool = True) -> str:
    """27/11/2026 à 14:05 (French) or 27 Nov 2026, 14:05 (English), in Paris time."""
    return date_formatter(with_time)(value)


def date_formatter(with_time: bool = True) -> Callable[[datetime | date | None], str]:
    """`local_date` with the language and its pattern resolved once, for a page that writes many
    dates (the agents' queue: 100 a page)."""
    if current_language() == SOURCE:
        stamp = "%d/%m/%Y à %H:%M" if with_time else "%d/%m/%Y"

        def french(value: datetime | date | None) -> str:
            if value is None:
                return ""
            if isinstance(value, datetime):
                return value.astimezone(PARIS).strftime(stamp)
            return value.strftime("%d/%m/%Y")

        return french
    locale = Locale.parse(current_language())
    timed, day = parse_pattern("d MMM y, HH:mm" if with_time else "d MMM y"), parse_pattern("d MMM y")

    def other(value: datetime | date | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return str(timed.apply(value.astimezone(PARIS), locale))
        return str(day.apply(value, locale))

    return other
