"""The base of the agents' decision forms: accept or refuse, a message to the family, an internal note.

A démarche's decision form subclasses `DecisionForm` and, when it offers more than accept/refuse,
replaces `decision` and `motif` with `decision_field(...)` and `message_field(...)`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from forms.fields import agents_only_comment_field
from forms.registry import TaskForm
from forms.validators import RequiredIf, strip

ACCEPT = SelectChoice("acceptee", _l("Accepter la demande"))
REFUSE = SelectChoice("refusee", _l("Refuser la demande"))
REFUSAL_NEEDS_REASON = RequiredIf(
    "decision", "refusee", _l("Indiquez le motif du refus : la famille le lira.")
)
MESSAGE_HELP = _l(
    "Visible par la famille dans l'historique de sa demande et repris dans le courriel ou le SMS qui "
    "la prévient. Obligatoire en cas de refus."
)


def decision_field(*extra: SelectChoice) -> RadioField:
    """« Décision »: accept, refuse, then the démarche's own choices."""
    return RadioField(
        _l("Décision"),
        choices=[ACCEPT, REFUSE, *extra],
        validators=[InputRequired(_l("Choisissez une décision."))],
    )


def message_field(*required: RequiredIf, description: Any = MESSAGE_HELP) -> TextAreaField:
    """« Message à la famille »: required on a refusal, and for the choices of `required` too."""
    return TextAreaField(
        _l("Message à la famille"),
        filters=[strip],
        validators=[REFUSAL_NEEDS_REASON, *required, Length(max=2000)],
        description=description,
    )


class DecisionForm(TaskForm):
    """An agent accepts or refuses a request; the message reaches the family, the note stays internal."""

    submit_label = _l("Enregistrer la décision")
    public_comment_field = "motif"
    internal_comment_field = "commentaire_interne"

    decision = decision_field()
    motif = message_field()
    commentaire_interne = agents_only_comment_field()
