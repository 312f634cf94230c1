"""« Aide à la saisie »: every field the family fills in, with its example, format and limits, read
from the forms themselves (so that the help page cannot drift from what the forms accept)."""

from __future__ import annotations

from dataclasses import dataclass, field

from wtforms import DateField, PasswordField, RadioField, SelectField
from wtforms.validators import Length

from forms.documents import DocumentUpload, _size_text, max_upload_bytes
from forms.registry import get_form_class
from web.core.i18n import _

SKIPPED_TYPES = {"CSRFTokenField", "HiddenField", "SubmitField"}


@dataclass(frozen=True)
class FieldHelp:
    label: str
    required: bool
    description: str
    limits: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScreenHelp:
    title: str
    fields: list[FieldHelp]


def _limits(bound: object) -> list[str]:
    limits: list[str] = []
    if any(isinstance(v, DocumentUpload) for v in getattr(bound, "validators", [])):
        size = _size_text(max_upload_bytes())
        if bound.type == "MultipleFileField":
            limits.append(
                _("un ou plusieurs fichiers PDF, JPEG ou PNG, de %(size)s au plus chacun", size=size)
            )
        else:
            limits.append(_("un fichier PDF, JPEG ou PNG, de %(size)s au plus", size=size))
    elif isinstance(bound, DateField):
        limits.append(_("une date au format jj/mm/aaaa"))
    elif isinstance(bound, RadioField | SelectField):
        labels = [str(choice.label) for choice in getattr(bound, "choices", []) or [] if choice.value]
        if labels:
            limits.append(_("au choix : %(choices)s", choices=", ".join(f"« {label} »" for label in labels)))
    elif isinstance(bound, PasswordField):
        limits.append(_("jamais conservé ni affiché"))
    for validator in getattr(bound, "validators", []):
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            limits.append(_("%(num)s caractères au plus", num=validator.max))
    return limits


def screens_help(form_keys: list[tuple[str, str]]) -> list[ScreenHelp]:
    """One entry per family screen (form key, task name): its fields, in the form's order."""
    screens = []
    for key, title in form_keys:
        form_class = get_form_class(key)
        form = form_class(formdata=None, meta={"csrf": False})
        fields = [
            FieldHelp(
                label=bound.label.text,
                required=bool(bound.flags.required),
                description=str(bound.description or ""),
                limits=_limits(bound),
            )
            for bound in form
            if bound.type not in SKIPPED_TYPES and bound.name != "action"
        ]
        if fields:
            screens.append(ScreenHelp(title or form_class.submit_label, fields))
    return screens
