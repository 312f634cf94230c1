"""Show a user task's form and complete it through the engine."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine import api
from forms.registry import get_form_class
from web.core.presentation import submitted_data
from web.core.transaction import commit
from web.extensions import db

from . import bp


@bp.route("/taches/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int) -> str | Response:
    session = db.session()
    task = api.get_task(session, task_id, current_user)
    form_class = get_form_class(task.form_key)
    form = form_class(data=task.data)
    if form.validate_on_submit():
        api.complete(
            session,
            task.id,
            current_user,
            form.to_engine_data(),
            public_comment=form.comment("public"),
            internal_comment=form.comment("internal"),
        )
        commit()
        flash(f"« {task.title} » : c'est enregistré.", "success")
        if current_user.is_staff:
            return redirect(url_for("backoffice.queue"))
        return redirect(url_for("demarches.show_request", instance_id=task.instance_id))
    template = "tasks/staff.html" if current_user.is_staff else "tasks/family.html"
    context = {"task": task, "form": form}
    if current_user.is_staff:
        instance = api.get_instance(session, task.instance_id, current_user)
        context.update(
            instance=instance,
            events=api.history(session, instance, include_internal=True),
            data=submitted_data(task.data),
        )
    status = 400 if form.errors else 200
    return render_template([f"tasks/{task.form_key}.html", template], **context), status
