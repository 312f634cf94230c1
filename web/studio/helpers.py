"""What every studio page needs: the analyst-only guard, the lint context, the uploaded BPMN."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user, login_required

from engine import api
from engine.errors import NotFound
from web.accounts.models import Role
from web.core.i18n import _
from web.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
STUDIO_ROLES = (Role.ANALYSTE, Role.ADMIN)


def analyst_required(view: F) -> F:
    """Analysts and admins only; agents and families get the 404 page (the studio is not theirs)."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in STUDIO_ROLES:
            abort(404)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _ctx() -> api.LintContext:
    from web.accounts.services import lint_context

    return lint_context()


def _author() -> str:
    return str(current_user.username)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _problems_json(validation: api.Validation) -> dict[str, Any]:
    return {
        "ok": validation.ok,
        "problems": [{"message": p.message, "element": p.element_id} for p in validation.problems],
        "notes": [{"message": p.message, "element": p.element_id} for p in validation.notes],
    }


def _read_upload() -> tuple[bytes | None, str | None]:
    """The BPMN sent by the form: a file (« Téléverser ») or the editor's XML; checked for size first."""
    too_big = api.check_upload_size(request.content_length)
    if too_big:
        return None, too_big
    upload = request.files.get("fichier")
    if upload is not None and upload.filename:
        data = upload.stream.read(api.BPMN_MAX_BYTES + 1)
        too_big = api.check_upload_size(len(data))
        return (None, too_big) if too_big else (data, None)
    text = request.form.get("bpmn", "")
    if text.strip():
        data = text.encode("utf-8")
        too_big = api.check_upload_size(len(data))
        return (None, too_big) if too_big else (data, None)
    return None, _("Choisissez un fichier .bpmn à téléverser.")


def _demarche_or_none(key: str) -> api.DemarcheView | None:
    try:
        return api.studio_demarche(db.session(), key)
    except NotFound:
        return None
