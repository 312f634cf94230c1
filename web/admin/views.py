"""Administration pages (role admin): agents (role, groups, account), groups and their policy."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from engine import api
from engine.api import POLICY_LABELS, Policy
from engine.errors import NotFound
from forms.admin import AgentEditForm, AgentForm, GroupForm, GroupPolicyForm
from web.accounts.models import AgentGroup, Role, User
from web.accounts.services import AccountError, create_user
from web.core.audit import Event, audit
from web.core.i18n import _, gettext
from web.extensions import db

from . import absence_page, bp, services

F = TypeVar("F", bound=Callable[..., Any])


def admin_required(view: F) -> F:
    """Role admin only; anyone else gets the French 403 page."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != Role.ADMIN:
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _group_choices() -> list[SelectChoice]:
    return [SelectChoice(g.name, g.name) for g in services.groups(db.session())]


def _staff_user(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None or user.role == Role.FAMILLE:
        raise NotFound(_("Cet agent n'existe pas."))
    return user


@bp.route("/agents", methods=["GET", "POST"])
@admin_required
def agents() -> Response | tuple[str, int]:
    """The staff accounts, and « Créer un agent »."""
    session = db.session()
    form = AgentForm()
    form.groups.choices = _group_choices()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                user = create_user(
                    session,
                    username=form.username.data,
                    password=form.password.data,
                    email=form.email.data,
                    role=Role(form.role.data),
                    groups=form.groups.data or [],
                    prenom=form.prenom.data or "",
                    nom=form.nom.data or "",
                )
            except AccountError as exc:
                session.rollback()
                form.username.errors = [str(exc)]
                status = 400
            else:
                details = {"compte": "créé", "apres": user.role, "services": sorted(user.groups)}
                audit(Event.ROLE_CHANGED, target=user.username, details=details)
                flash(_("Compte %(name)s créé.", name=user.username), "success")
                return redirect(url_for("admin.agents"))
        else:
            if "csrf_token" in form.errors:
                abort(400)
            status = 400
        form.password.data = ""  # never sent back in the page
    absent = services.absent_ids(session)
    page = render_template(
        "admin/agents.html",
        form=form,
        agents=services.staff(session),
        absent=absent,
        role_labels=services.ROLE_LABELS,
    )
    return page, status


@bp.route("/agents/<int:user_id>", methods=["GET", "POST"])
@admin_required
def agent(user_id: int) -> Response | tuple[str, int]:
    """One agent: role, groups, active or not."""
    session = db.session()
    user = _staff_user(user_id)
    form = AgentEditForm(
        data={"role": user.role, "groups": sorted(user.groups), "is_enabled": user.is_enabled}
    )
    form.groups.choices = _group_choices()
    status = 200
    if form.is_submitted():
        if form.validate():
            if user.id == current_user.id and (form.role.data != Role.ADMIN or not form.is_enabled.data):
                form.role.errors = [_("Vous ne pouvez pas retirer vos propres droits d'administrateur.")]
                status = 400
            else:
                ended = services.set_role(session, user, Role(form.role.data))
                ended = services.set_groups(session, user, form.groups.data or []) or ended
                services.set_enabled(session, user, bool(form.is_enabled.data), actor=current_user)
                message = _("Compte %(name)s enregistré.", name=user.username)
                if ended or not user.is_enabled:
                    message += " " + _("Ses sessions ouvertes sont terminées.")
                flash(message, "success")
                return redirect(url_for("admin.agent", user_id=user.id))
        else:
            if "csrf_token" in form.errors:
                abort(400)
            status = 400
    page = render_template(
        "admin/agent.html",
        form=form,
        agent=user,
        current=services.current_absence(session, user.id),
        role_labels=services.ROLE_LABELS,
    )
    return page, status


@bp.route("/agents/<int:user_id>/absences", methods=["GET", "POST"])
@admin_required
def agent_absences(user_id: int) -> Response | tuple[str, int]:
    user = _staff_user(user_id)
    return absence_page.handle(
        user,
        back=url_for("admin.agent_absences", user_id=user.id),
        template_context={"own": False, "return_url": url_for("admin.agent_return", user_id=user.id)},
    )


@bp.post("/agents/<int:user_id>/retour")
@admin_required
def agent_return(user_id: int) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    user = _staff_user(user_id)
    return absence_page.back_to_work(user, url_for("admin.agent_absences", user_id=user.id))


def _lanes_in_use() -> dict[str, list[str]]:
    """Group name -> titles of the published démarches with a lane of that name."""
    return api.lanes_in_use(db.session())


@bp.route("/groupes", methods=["GET", "POST"])
@admin_required
def groups() -> Response | tuple[str, int]:
    """The agent groups (services), the démarches whose lanes use them, and « Créer un groupe »."""
    session = db.session()
    form = GroupForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                services.create_group(session, form.name.data, Policy(form.assignment_policy.data))
            except services.AdminError as exc:
                session.rollback()
                form.name.errors = [str(exc)]
                status = 400
            else:
                flash(_("Groupe « %(name)s » créé.", name=form.name.data), "success")
                return redirect(url_for("admin.groups"))
        else:
            if "csrf_token" in form.errors:
                abort(400)
            status = 400
    all_groups = services.groups(session)
    policy_forms = {
        g.id: GroupPolicyForm(
            formdata=None, data={"assignment_policy": g.assignment_policy}, prefix=f"g{g.id}"
        )
        for g in all_groups
    }
    page = render_template(
        "admin/groups.html",
        form=form,
        groups=all_groups,
        policy_forms=policy_forms,
        policy_labels=POLICY_LABELS,
        lanes=_lanes_in_use(),
        members={g.id: [u for u in services.staff(session) if g in u.agent_groups] for g in all_groups},
    )
    return page, status


@bp.post("/groupes/<int:group_id>")
@admin_required
def group_policy(group_id: int) -> Response:
    session = db.session()
    group = session.get(AgentGroup, group_id)
    if group is None:
        raise NotFound(_("Ce groupe n'existe pas."))
    form = GroupPolicyForm(prefix=f"g{group.id}")
    if not form.validate_on_submit():
        abort(400)
    services.set_policy(session, group, Policy(form.assignment_policy.data))
    label = gettext(POLICY_LABELS[Policy(group.assignment_policy)])
    flash(
        _(
            "Groupe « %(name)s » : attribution automatique « %(label)s ».",
            name=group.name,
            label=label,
        ),
        "success",
    )
    return redirect(url_for("admin.groups"))
