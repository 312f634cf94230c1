"""The register of a family's personal data: each web area says what it holds about an account.

An area adds a module `web/<area>/personal_data.py` that calls `register(...)` once; `discover()`
imports them all (no hand-kept list). A provider gives:

- `rows(session, user)`: its rows about the account, as JSON-ready dicts (the export writes each
  provider as `<name>.json` and `<name>.csv`, and describes it in the README from `description`);
- `files(session, user)` (optional): files to put in the ZIP (`documents/...`), as (path, bytes);
- `erase(session, user)` (optional): what to erase or anonymise when the account is closed; it only
  flushes, the closure commits once;
- `kept` (optional): what the law requires to keep after the closure and why (shown to the family
  in the closure's confirmation), e.g. invoices and payments for the accounting periods; a sentence,
  or a function returning one (when it names a configured period);
- `needs_review(session, user)` (optional): a French reason when an agent must review the closure
  first (an unpaid invoice), or None.

Invoices and payments (web/factures) and activity bookings (web/activites) plug in this way too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

Rows = Callable[[Session, Any], list[dict[str, Any]]]


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    description: str
    rows: Rows
    files: Callable[[Session, Any], list[tuple[str, bytes]]] | None = None
    erase: Callable[[Session, Any], None] | None = None
    kept: str | Callable[[], str] | None = None
    needs_review: Callable[[Session, Any], str | None] | None = None
    #: Order in the README and at closure (lower first; erasure runs in this order too).
    order: int = 50


PROVIDERS: dict[str, Provider] = {}
#: session.info key: the closure request being run (its own instance is erased later, once finished).
CLOSING_INSTANCE = "closing_instance_id"


def register(provider: Provider) -> Provider:
    """Add (or replace, on re-import) an area's provider."""
    PROVIDERS[provider.name] = provider
    return provider


def discover() -> list[Provider]:
    """Import every `web/<area>/personal_data.py`; the providers, in order."""
    import web

    for module in pkgutil.iter_modules(web.__path__):
        if module.ispkg:
            name = f"web.{module.name}.personal_data"
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
    return providers()


def providers() -> list[Provider]:
    return sorted(PROVIDERS.values(), key=lambda p: (p.order, p.name))


def kept_after_closure(session: Session, user: Any) -> list[str]:
    """What is kept after a closure, as French sentences for the confirmation."""
    return [p.kept() if callable(p.kept) else p.kept for p in providers() if p.kept]


def review_reasons(session: Session, user: Any) -> list[str]:
    """Why an agent must review this closure (empty: none)."""
    reasons = [p.needs_review(session, user) for p in providers() if p.needs_review]
    return [reason for reason in reasons if reason]


def erase_all(session: Session, user: Any) -> None:
    """Run every provider's erasure, in order (flushes only)."""
    for provider in providers():
        if provider.erase:
            provider.erase(session, user)
            session.flush()
