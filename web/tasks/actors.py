"""Who is acting on a task page: the logged-in user, or the visitor's guest identity."""

from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user

from engine.api import Guest

GUEST_KEY = "guest_key"


def current_actor(*, create_guest: bool = False) -> Any:
    """The logged-in user, else the visitor's guest identity (kept in their session), else None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    key = session.get(GUEST_KEY)
    if key is None and create_guest:
        guest = Guest.new()
        session[GUEST_KEY] = guest.key
        return guest
    return Guest(key) if key else None
