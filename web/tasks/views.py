"""Show a user task's form and complete it through the engine (families and guests; agents: the dossier)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from engine import api
from engine.api import Guest
from forms.registry import TaskForm, get_form_class
from web.core.i18n import _, gettext
from web.extensions import db
from web.tasks.actors import GUEST_KEY, current_actor
from web.tasks.drafts import with_draft
from web.tasks.hooks import BEFORE_RENDER, run_before_complete
from web.tasks.receipt import Receipt, receipt_for, send_receipt

from . import bp

#: The agents' page of a task, registered by web/backoffice (which sits above this area).
STAFF_TASK_PAGE: list[Callable[[int], Any]] = []


def _navigation_data(form: TaskForm, action: str) -> dict[str, Any]:
    """What a wizard screen sends without validation: ANNULER sends nothing, PRÉCÉDENT what was typed."""
    if action == "annuler":
        return {"action": "annuler"}
    return {**form.to_engine_data(), "action": "precedent"}


@bp.route("/taches/<int:task_id>", methods=["GET", "POST"])
def show(task_id: int) -> str | Response:
    actor = current_actor()
    if actor is None:
        return redirect(url_for("accounts.login", next=request.path))
    if getattr(actor, "is_staff", False) and STAFF_TASK_PAGE:
        return STAFF_TASK_PAGE[0](task_id)  # agents work on the dossier page (web/backoffice/dossier.py)
    db_session = db.session()
    task = api.get_task(db_session, task_id, actor)
    form = get_form_class(task.form_key, task.instance_id)(data=task.data)
    form = with_draft(db_session, task, actor, form)  # « Reprendre mon brouillon » (web/tasks/drafts.py)
    action = request.form.get("action", "suivant") if request.method == "POST" else None
    if action == "changer_captcha":
        pass  # « Changer le texte de contrôle » without JavaScript: show the screen again, new captcha
    elif action in form.navigation and action in {"annuler", "precedent"}:
        if not form.validate_csrf_token_only():
            abort(400)
        api.complete(db_session, task.id, actor, _navigation_data(form, action))
        return _after(task, actor, action)
    elif form.validate_on_submit():
        hooked = run_before_complete(db_session, form, actor, task)
        if hooked is not None:
            data = {**form.to_engine_data(), **hooked.data}
            if form.navigation:
                data["action"] = "suivant"
            instance = api.get_instance(db_session, task.instance_id, actor)
            was_filed = instance.submitted_at is not None
            api.complete(
                db_session,
                task.id,
                actor,
                data,
                public_comment=form.comment("public"),
                internal_comment=form.comment("internal"),
                secrets=hooked.secrets,
            )
            receipt = None
            if not was_filed and not isinstance(actor, Guest):
                # Filed just now: the « accusé de réception » (web/tasks/receipt.py).
                instance = api.reread(db_session, instance)
                receipt = receipt_for(db_session, instance)
                send_receipt(db_session, instance, actor, receipt)
            return _after(task, actor, "suivant", receipt=receipt)
    context: dict[str, Any] = {"task": task, "form": form}
    render_hook = BEFORE_RENDER.get(task.form_key)
    if render_hook is not None:
        context.update(render_hook(db_session, form, actor, task))
    status = 400 if form.errors else 200
    return render_template([f"tasks/{task.form_key}.html", "tasks/family.html"], **context), status


def _after(task: api.TaskView, actor: Any, action: str, receipt: Receipt | None = None) -> Response:
    """Go to the next screen of the same démarche, or to where the actor follows it (one commit after)."""
    db_session = db.session()
    if isinstance(actor, Guest) and action == "annuler":
        instance = api.get_instance(db_session, task.instance_id, actor)
        api.discard(db_session, instance)
        session.pop(GUEST_KEY, None)
        flash(_("C'est annulé : rien de ce que vous aviez saisi n'a été conservé."), "info")
        return redirect(url_for("accounts.home"))
    following = api.next_task_in(db_session, actor, task.instance_id)
    if following is not None:
        return redirect(url_for("tasks.show", task_id=following))
    if isinstance(actor, Guest):
        return redirect(url_for("tasks.guest_done", instance_id=task.instance_id))
    if receipt is not None:
        flash(
            _(
                "Votre demande %(ref)s est envoyée au %(service)s. Un accusé de réception vous est envoyé "
                "par courriel.",
                ref=receipt.reference,
                service=receipt.service,
            ),
            "success",
        )
    else:
        flash(
            _(
                "C'est envoyé : « %(title)s » est fait, votre demande suit son cours.",
                title=gettext(task.title),
            ),
            "success",
        )
    return redirect(url_for("demarches.show_request", instance_id=task.instance_id))


@bp.get("/demarche-terminee/<int:instance_id>")
def guest_done(instance_id: int) -> str | Response:
    """Where a visitor lands when their démarche waits for something else (e.g. the activation mail)."""
    actor = current_actor()
    if actor is None:
        return redirect(url_for("accounts.login", next=request.path))
    instance = api.get_instance(db.session(), instance_id, actor)
    return render_template("tasks/guest_done.html", instance=instance)
