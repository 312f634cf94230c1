"""The « Absences » form, shared by the agent's own page and the admin's page for an agent."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forms.admin import AbsenceForm
from web.accounts.models import User
from web.core.i18n import _, current_language, ngettext
from web.core.presentation import date_fr, de
from web.extensions import db

from . import services
from .models import AbsenceMode


def _of_name(french: str, other: str, name: str) -> str:
    """« Tâches en cours d'Alex Durand » in French (elision, `de`); `other` (« … of %(name)s ») else."""
    return f"{french} {de(name)}" if current_language() == "fr" else other % {"name": name}


def _saved_message(user: User, starts_on: Any, moved: int) -> str:
    who = _of_name("Absence", _("Absence de %(name)s"), user.display_name)
    if starts_on:
        return ngettext(
            "%(who)s enregistrée à partir du %(date)s : %(num)d tâche déplacée.",
            "%(who)s enregistrée à partir du %(date)s : %(num)d tâches déplacées.",
            moved,
            who=who,
            date=date_fr(starts_on),
        )
    return ngettext(
        "%(who)s enregistrée : %(num)d tâche déplacée.",
        "%(who)s enregistrée : %(num)d tâches déplacées.",
        moved,
        who=who,
    )


def absence_form(user: User) -> AbsenceForm:
    form = AbsenceForm()
    form.delegate.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(c.id), f"{c.display_name} ({', '.join(sorted(c.groups & user.groups))})")
        for c in services.colleagues(db.session(), user)
    ]
    if user.id != current_user.id:  # an admin's page about someone else: not « mes tâches »
        form.mode.label.text = _of_name(
            "Tâches en cours", _("Tâches en cours de %(name)s"), user.display_name
        )
        form.mode.choices = [
            SelectChoice("groupe", _("Les remettre dans la file de son service")),
            SelectChoice("collegue", _("Les confier à un collègue de son service")),
        ]
    return form


def handle(user: User, *, back: str, template_context: dict[str, Any]) -> Response | tuple[str, int]:
    """GET shows the form and the planned absences; POST records one (moving the tasks) or ends them."""
    session = db.session()
    form = absence_form(user)
    status = 200
    if form.is_submitted():
        if not form.validate():
            if "csrf_token" in form.errors:
                abort(400)
            status = 400
        else:
            delegate = None
            if form.mode.data == AbsenceMode.DELEGATE and form.delegate.data:
                delegate = (
                    session.get(User, int(form.delegate.data)) if form.delegate.data.isdigit() else None
                )
            try:
                _, moved = services.mark_absent(
                    session,
                    user,
                    actor=current_user,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    mode=AbsenceMode(form.mode.data),
                    delegate=delegate,
                )
            except services.AdminError as exc:
                session.rollback()
                field = form.delegate if exc.field == "delegate" else form.ends_on
                field.errors = [*field.errors, str(exc)]
                status = 400
            else:
                flash(_saved_message(user, form.starts_on.data, len(moved)), "success")
                return redirect(back)
    absences = services.planned_absences(session, user.id)
    delegates = {a.delegate_id: session.get(User, a.delegate_id) for a in absences if a.delegate_id}
    page = render_template(
        "admin/absence.html",
        form=form,
        agent=user,
        absences=absences,
        delegates=delegates,
        current=services.current_absence(session, user.id),
        **template_context,
    )
    return page, status


def back_to_work(user: User, back: str) -> Response:
    ended = services.mark_present(db.session(), user)
    flash(
        _("%(name)s est de retour : les tâches seront de nouveau attribuées.", name=user.display_name)
        if ended
        else _("%(name)s n'avait pas d'absence en cours.", name=user.display_name),
        "success",
    )
    return redirect(back)
