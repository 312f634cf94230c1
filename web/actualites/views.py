"""Public news (list, detail, image, Atom feed) and the communication agents' pages."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.db import utcnow
from web.core.i18n import _
from web.extensions import db

from . import bp
from .models import Audience, NewsItem
from .services import (
    ImageRefused,
    local_day,
    may_write_news,
    paginate,
    process_image,
    public_news,
    readable,
    sanitise,
    start_of_day,
    visible_to,
)


def _page_number() -> int:
    try:
        return int(request.args.get("page", "1"))
    except ValueError:
        return 1


@bp.get("/actualites")
def news_list() -> str:
    session = db.session()
    page = paginate(session, visible_to(session, current_user), _page_number())
    return render_template("actualites/list.html", page=page)


@bp.get("/actualites/<int:news_id>")
def news_detail(news_id: int) -> str:
    item = readable(db.session(), news_id, current_user)
    if item is None:
        abort(404)
    return render_template("actualites/detail.html", item=item)


@bp.get("/actualites/<int:news_id>/image")
def news_image(news_id: int) -> Response:
    item = readable(db.session(), news_id, current_user)
    if item is None or item.image is None:
        abort(404)
    response = make_response(item.image)
    response.headers["Content-Type"] = item.image_mime or "application/octet-stream"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = (
        "public, max-age=3600" if item.audience == Audience.TOUS else "private, no-store"
    )
    return response


@bp.get("/actualites/flux.atom")
def news_feed() -> Response:
    """Atom feed of the public news only (targeted news never appear in it, whoever asks)."""
    session = db.session()
    items = list(
        session.scalars(public_news().order_by(NewsItem.published_at.desc(), NewsItem.id.desc()).limit(20))
    )
    updated = max((i.updated_at or i.published_at for i in items), default=utcnow())
    body = render_template("actualites/feed.xml", items=items, updated=updated)
    response = make_response(body)
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


# --- Communication agents -------------------------------------------------------------------------


def communication_required(view: Any) -> Any:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_write_news(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/agents/actualites")
@communication_required
def manage() -> str:
    items = list(
        db.session().scalars(select(NewsItem).order_by(NewsItem.published_at.desc(), NewsItem.id.desc()))
    )
    return render_template("actualites/agents/list.html", items=items, now=utcnow())


def _form(item: NewsItem | None = None) -> Any:
    from wtforms import SelectChoice

    from forms.famille import NewsForm
    from web.accounts.services import group_names
    from web.famille.services import activities

    session = db.session()
    data = None
    if item is not None and request.method == "GET":
        data = {
            "titre": item.title,
            "resume": item.summary,
            "corps": item.body_html,
            "image_alt": item.image_alt,
            "publication": local_day(item.published_at),
            "expiration": local_day(item.expires_at),
            "audience": item.audience,
            "service": item.audience_service,
            "activite": str(item.audience_activity_id or ""),
        }
    form = NewsForm(data=data)
    form.service.choices = [SelectChoice("", _("— Choisissez —"))] + [
        SelectChoice(name, name) for name in group_names(session) if name != "Communication"
    ]
    # The kinds' labels are translated in web/activites/models.py (KIND_LABELS, an area above this one).
    form.activite.choices = [SelectChoice("", _("— Choisissez —"))] + [
        SelectChoice(str(a.id), f"{a.name} ({_(str(a.kind))})") for a in activities(session)
    ]
    return form


def _save(form: Any, item: NewsItem | None) -> NewsItem | None:
    """Fill the item from a valid form; None (with errors on the form) if the image is refused."""
    from forms.famille import MAX_IMAGE_BYTES

    upload = form.image.data
    image: tuple[bytes, str] | None = None
    if upload is not None and getattr(upload, "filename", ""):
        content = upload.read(MAX_IMAGE_BYTES + 1)
        if len(content) > MAX_IMAGE_BYTES:
            form.image.errors.append(_("L'image dépasse 5 Mo."))
            return None
        try:
            image = process_image(content)
        except ImageRefused as error:
            form.image.errors.append(str(error))
            return None
    keeps_image = item is not None and item.image is not None and form.retirer_image.data != "retirer"
    if (image is not None or keeps_image) and not form.image_alt.data:
        form.image_alt.errors.append(
            _("Décrivez l'image : le texte alternatif est obligatoire avec une image.")
        )
        return None
    if item is None:
        item = NewsItem(created_by_id=current_user.id)
        db.session.add(item)
    else:
        item.updated_at = utcnow()
    item.title = form.titre.data
    item.summary = form.resume.data
    item.body_html = sanitise(form.corps.data or "")
    item.published_at = start_of_day(form.publication.data)
    item.expires_at = start_of_day(form.expiration.data) if form.expiration.data else None
    item.audience = Audience(form.audience.data)
    item.audience_service = form.service.data if item.audience == Audience.SERVICE else None
    item.audience_activity_id = int(form.activite.data) if item.audience == Audience.ACTIVITE else None
    if image is not None:
        item.image, item.image_mime = image
    elif not keeps_image:
        item.image = item.image_mime = None
    item.image_alt = form.image_alt.data if item.image is not None else None
    db.session.flush()
    return item


@bp.route("/agents/actualites/nouvelle", methods=["GET", "POST"])
@communication_required
def create() -> str | Response | tuple[str, int]:
    form = _form()
    if form.validate_on_submit():
        item = _save(form, None)
        if item is not None:
            flash(_("Actualité « %(title)s » enregistrée.", title=item.title), "success")
            return redirect(url_for("actualites.manage"))
    status = 400 if form.errors else 200
    return render_template("actualites/agents/edit.html", form=form, item=None), status


@bp.route("/agents/actualites/<int:news_id>", methods=["GET", "POST"])
@communication_required
def edit(news_id: int) -> str | Response | tuple[str, int]:
    item = db.session.get(NewsItem, news_id)
    if item is None:
        abort(404)
    form = _form(item)
    if form.validate_on_submit() and _save(form, item) is not None:
        flash(_("Actualité « %(title)s » enregistrée.", title=item.title), "success")
        return redirect(url_for("actualites.manage"))
    status = 400 if form.errors else 200
    return render_template("actualites/agents/edit.html", form=form, item=item), status


@bp.post("/agents/actualites/<int:news_id>/supprimer")
@communication_required
def delete(news_id: int) -> Response:
    from flask_wtf import FlaskForm

    if not FlaskForm().validate_on_submit():
        abort(400)
    item = db.session.get(NewsItem, news_id)
    if item is None:
        abort(404)
    db.session.delete(item)
    db.session.flush()
    flash(_("Actualité « %(title)s » supprimée.", title=item.title), "success")
    return redirect(url_for("actualites.manage"))
