"""The registry that maps a BPMN user task's formKey to its WTForms class."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

FORMS: dict[str, type[TaskForm]] = {}


class TaskForm(FlaskForm):  # type: ignore[misc]
    """A form behind a user task: validates, normalises, and says what goes to the engine."""

    #: Name of the field whose text the family sees in the timeline (agents' forms).
    public_comment_field: str | None = None
    #: Name of the field kept as an internal comment, never shown to the family nor stored in data.
    internal_comment_field: str | None = None
    #: Label of the submit button.
    submit_label: Any = _l("Valider")
    #: Wizard screens: show ANNULER and PRÉCÉDENT beside the submit button (values of the field
    #: `action` that the engine receives: "annuler", "precedent", "suivant").
    navigation: tuple[str, ...] = ()
    #: Password fields: never in the task data; the web layer hands their hash to the engine as a secret.
    password_fields: tuple[str, ...] = ()
    #: Answers not listed on the request and dossier pages: their stored value means nothing to a
    #: reader (an id), another field says it in words.
    unlisted_answers: tuple[str, ...] = ()

    def to_engine_data(self) -> dict[str, Any]:
        """The task data sent to the engine: every field but buttons, the CSRF token and comments."""
        skip = {"csrf_token", self.internal_comment_field, *self.password_fields}
        return {
            name: field.data
            for name, field in self._fields.items()
            if name not in skip and field.type not in {"SubmitField", "CSRFTokenField", "FileField"}
        }

    def validate_csrf_token_only(self) -> bool:
        """For ANNULER and PRÉCÉDENT: check the CSRF token, not the fields."""
        csrf = self._fields.get("csrf_token")
        return csrf is None or csrf.validate(self)

    def comment(self, which: str) -> str | None:
        name = self.public_comment_field if which == "public" else self.internal_comment_field
        if not name:
            return None
        value = (self._fields[name].data or "").strip()
        return value or None


def source_text(value: Any) -> str:
    """The French text of a label, even a lazy (translated) one: what is stored in the database or
    compared with stored values; the pages translate it again when they show it."""
    args, kwargs = getattr(value, "_args", None), getattr(value, "_kwargs", None)
    if args and isinstance(args[0], str):
        return args[0] % kwargs if kwargs else args[0]
    return str(value)


F = TypeVar("F", bound=type[TaskForm])


def task_form(form_key: str) -> Callable[[F], F]:
    """Register a TaskForm class under a BPMN formKey."""

    def decorator(cls: F) -> F:
        if form_key in FORMS:
            raise ValueError(f"formKey {form_key!r} is registered twice")
        FORMS[form_key] = cls
        return cls

    return decorator


#: Finds the data form (forms as data) behind a formKey: (form_key, instance id or None) -> the
#: definition or None. Set by the web (web/tasks/data_forms.py), which reads it through engine.api.
DATA_FORM_RESOLVERS: list[Callable[[str, int | None], dict[str, Any] | None]] = []


def get_form_class(form_key: str, instance_id: int | None = None) -> type[TaskForm]:
    """The class registered for a formKey, else the class built from the démarche's data form (the
    one of the request's version when `instance_id` is given); KeyError when unknown."""
    load_all()
    if form_key in FORMS:
        return FORMS[form_key]
    for resolve in DATA_FORM_RESOLVERS:
        definition = resolve(form_key, instance_id)
        if definition is not None:
            from forms.data_forms import form_class

            return form_class(definition)
    raise KeyError(form_key)


@functools.cache
def _import_task_modules() -> None:
    import importlib
    import pkgutil

    from forms import tasks

    for module in pkgutil.iter_modules(tasks.__path__):
        importlib.import_module(f"forms.tasks.{module.name}")


def load_all() -> dict[str, type[TaskForm]]:
    """Import every module of forms/tasks/ so that the registry is complete (the directory is
    listed once per process, not at each task page)."""
    _import_task_modules()
    return FORMS
