"""The one check of every redirect or back-link target taken from a request (ASVS 3.7.2).

A target is accepted only when it is a path of this site: it starts with one `/` followed by neither
`/` nor `\\`, has no scheme or host, no backslash, no space or control character, and stays so once
percent-decoded (up to three times) and NFKC-normalised (a fullwidth solidus `／` becomes `/`).
Anything else falls back to a fixed page of the site.

Every view that reads such a parameter is marked with `@returns_to("retour")`, so that
tests/integration/test_redirects.py can walk them all with malicious values; a test also fails when
a view reads `next`, `retour` or `back` without the mark.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

#: Request parameters that name where to go back to.
TARGET_PARAMETERS = ("next", "retour", "back")
#: view function (module, qualified name) → the target parameters it reads.
REGISTRY: dict[tuple[str, str], tuple[str, ...]] = {}
MAX_TARGET_LENGTH = 2000

F = TypeVar("F", bound=Callable[..., Any])


def returns_to(*parameters: str) -> Callable[[F], F]:
    """Mark a view that takes a redirect or back-link target in these request parameters."""

    def mark(view: F) -> F:
        REGISTRY[(view.__module__, view.__qualname__)] = parameters
        return view

    return mark


def _bad_form(form: str) -> bool:
    if not form.startswith("/") or form[1:2] in ("/", "\\"):
        return True
    if "\\" in form or any(char.isspace() or unicodedata.category(char)[0] == "C" for char in form):
        return True
    parts = urlsplit(form)
    return bool(parts.scheme or parts.netloc)


def safe_target(target: str | None) -> str | None:
    """`target` when it is a same-origin path (see the module's docstring), else None."""
    if not target or len(target) > MAX_TARGET_LENGTH:
        return None
    forms = [target]
    decoded = target
    for _ in range(3):
        decoded = unquote(decoded)
        forms.append(decoded)
    forms += [unicodedata.normalize("NFKC", form) for form in list(forms)]
    if any(_bad_form(form) for form in forms):
        return None
    return target


def safe_target_or(target: str | None, default: str) -> str:
    """`target` when safe, else `default` (a URL built by the site itself)."""
    return safe_target(target) or default
