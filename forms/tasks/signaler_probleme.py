"""Forms of the démarche « Signaler un problème » (page « A qui s'adresser en cas de problème ? »)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from forms.fields import agents_only_comment_field
from forms.registry import TaskForm, task_form
from forms.validators import collapse_spaces, strip

# The values are what the agents' dossier and the family's request page show (« De quoi s'agit-il ? »).
CATEGORIES = [
    SelectChoice("Connexion au compte famille", _l("Un problème de connexion à mon compte famille")),
    SelectChoice("Démarche en ligne", _l("Une difficulté avec une démarche en ligne")),
    SelectChoice("Structure de la ville", _l("Une information erronée sur une structure de la ville")),
    SelectChoice("Autre", _l("Autre chose")),
]
CATEGORY_LABELS = {choice.value: choice.label for choice in CATEGORIES}


@task_form("signaler_probleme.saisie")
class ProblemReportForm(TaskForm):
    """The family describes the problem; the Accueil service answers."""

    submit_label = _l("Envoyer mon signalement")

    categorie = RadioField(
        _l("De quoi s'agit-il ?"),
        choices=CATEGORIES,
        validators=[InputRequired(_l("Choisissez le type de problème."))],
    )
    objet = StringField(
        _l("Objet"),
        filters=[collapse_spaces],
        validators=[
            InputRequired(_l("Indiquez l'objet de votre signalement en quelques mots.")),
            Length(max=120, message=_l("L'objet ne doit pas dépasser 120 caractères.")),
        ],
        description=_l("Par exemple « Je ne reçois pas le courriel d'activation »."),
    )
    description = TextAreaField(
        _l("Description du problème"),
        filters=[strip],
        validators=[
            InputRequired(_l("Décrivez le problème : ce que vous faisiez, ce qui s'est passé.")),
            Length(max=4000, message=_l("La description ne doit pas dépasser 4000 caractères.")),
        ],
        description=_l(
            "Ce que vous faisiez, la page concernée, le message affiché. N'indiquez jamais votre mot "
            "de passe."
        ),
    )


@task_form("signaler_probleme.reponse")
class ProblemAnswerForm(TaskForm):
    """An agent of the Accueil service answers the family and closes the report."""

    submit_label = _l("Envoyer la réponse")
    public_comment_field = "reponse"
    internal_comment_field = "commentaire_interne"

    decision = RadioField(
        _l("Suite donnée"),
        choices=[
            SelectChoice("resolu", _l("Problème résolu ou réponse apportée")),
            SelectChoice("transmis", _l("Transmis au service concerné")),
        ],
        validators=[InputRequired(_l("Choisissez la suite donnée."))],
    )
    reponse = TextAreaField(
        _l("Réponse à la famille"),
        filters=[strip],
        validators=[
            InputRequired(_l("Écrivez la réponse : la famille la lira.")),
            Length(max=2000, message=_l("La réponse ne doit pas dépasser 2000 caractères.")),
        ],
        description=_l(
            "Visible par la famille dans l'historique de sa demande et envoyée par courriel ou SMS."
        ),
    )
    commentaire_interne = agents_only_comment_field()
