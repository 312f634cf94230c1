"""Messages of the engine that people read (errors shown to families, agents and analysts).

The engine is Flask-free: it writes its messages in French, wrapped in `_()`, and the web layer
installs the translation function of the request's language (`install_translator`, called by
web/core/i18n.py). Without it (jobs, the CLI, tests of the engine alone) the French text is used.

Module-level constants cannot be translated when the module is imported (there is no request
then): mark them with `N_()` (extracted, left as is) and translate them where they are shown,
with `_()` on the value.
"""

from __future__ import annotations

from collections.abc import Callable

_translate: Callable[[str], str] = str
_needed: Callable[[], bool] = lambda: False  # noqa: E731 (no translator: French, nothing to do)
_language: Callable[[], str] = lambda: "fr"  # noqa: E731


def install_translator(
    translate: Callable[[str], str],
    needed: Callable[[], bool] = lambda: True,
    language: Callable[[], str] = lambda: "fr",
) -> None:
    """Route the engine's messages through `translate` (French text → the reader's language);
    `needed()` says whether the reader's language is not French (else stored texts are shown as is);
    `language()` names it (a key for what the engine keeps once per language)."""
    global _translate, _needed, _language
    _translate, _needed, _language = translate, needed, language


def reader_language() -> str:
    """The code of the current reader's language (« fr » without a translator)."""
    return _language()


def translation_needed() -> bool:
    """Whether the current reader wants another language than the French the engine writes."""
    return _needed()


def _(message: str, **params: object) -> str:
    """`message` in the reader's language, with its `%(name)s` placeholders filled from `params`."""
    text = _translate(message)
    return text % params if params else text


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a French message for extraction without translating it now."""
    return message
