"""The agents' saved filters of the queue: « Enregistrer ce filtre » and « Supprimer »."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from forms.queues import SavedFilterForm
from web.core.access import staff_required
from web.core.i18n import _
from web.core.redirects import returns_to
from web.extensions import db

from . import bp
from .models import SavedFilter
from .queues import MAX_SAVED_FILTERS, QueueView, _back, _render_queue, filter_query


@bp.post("/filtres")
@staff_required
def save_filter() -> Any:
    """« Enregistrer ce filtre »: the current query string under a name."""
    form = SavedFilterForm()
    args = MultiDict(parse_qsl((form.requete.data or "")[:1000]))
    session = db.session()
    if form.validate_on_submit():
        query = filter_query(args)
        mine = session.execute(select(SavedFilter).where(SavedFilter.user_id == current_user.id)).scalars()
        names = {saved.name.casefold() for saved in mine}
        if form.nom.data.casefold() in names:
            form.nom.errors.append(_("Vous avez déjà un filtre de ce nom : choisissez-en un autre."))
        elif len(names) >= MAX_SAVED_FILTERS:
            form.nom.errors.append(
                _("Vous avez déjà %(num)s filtres : supprimez-en un d'abord.", num=MAX_SAVED_FILTERS)
            )
        else:
            session.add(SavedFilter(user_id=current_user.id, name=form.nom.data, query=query))
            flash(_("Filtre « %(name)s » enregistré.", name=form.nom.data), "success")
            return redirect(url_for("backoffice.queue") + (f"?{query}" if query else ""))
    return _render_queue(QueueView(args), save_form=form, status=400)


@bp.post("/filtres/supprimer")
@returns_to("retour")
@staff_required
def delete_filter() -> Response:
    """« Supprimer » one of the agent's saved filters (its id in the form: no id in the URL)."""
    raw = request.form.get("filtre", "")
    if not raw.isdigit() or len(raw) > 12:
        abort(404)
    session = db.session()
    saved = session.get(SavedFilter, int(raw))
    if saved is None or saved.user_id != current_user.id:
        abort(404)
    name = saved.name
    session.delete(saved)
    flash(_("Filtre « %(name)s » supprimé.", name=name), "success")
    return redirect(_back())
