"""Messages the engine stores in the database in French and shows later in the reader's language.

A timeline entry (« Document ajouté : attestation.pdf »), the technical message of a request « en
erreur », a status the engine sets (« En erreur », « Annulée »): they are written once, in French,
whatever the language of the person whose action wrote them (`french`), and read later by people
who may read English. No column holds their msgid and values: `translate_stored` recognises the
French text instead. An exact msgid is translated as is; a text written from one of `TEMPLATES` is
matched against it, its values are read back (themselves translated when they are stored messages:
a failure inside a failure) and the template is translated with them. Anything else (a status
written by the analyst in the diagram, a comment typed by an agent) is shown as it was written.
"""

from __future__ import annotations

import re
from functools import cache

from .i18n import N_, _, translation_needed

#: Stored texts without values (exact msgids).
FIXED = (
    N_("Demande créée"),
    N_("Demande annulée par la famille"),
    N_("Annulée"),
    N_("En erreur"),
    N_("Erreur technique : la demande ne peut pas avancer pour le moment. Le service a été prévenu."),
    N_("Erreur dans le diagramme de la démarche : la demande est en erreur"),
    N_("Erreur technique lors d'une échéance"),
    N_("Message de la famille"),
    N_("Message du service"),
    N_("Clôturée avec le compte"),
    N_("Famille"),
    N_("Service"),
    N_("attribuée à personne"),
    N_("un collègue"),
    N_("Commentaire interne"),
    N_("Studio"),
    N_("Formatage refusé : largeur « % » trop grande ou variable."),
    N_("sum() n'additionne que des nombres."),
    N_("répétition"),
    N_("concaténation"),
    N_("assemblage"),
    N_("liste"),
    N_("remplacement"),
    # What an expression of the diagram is (engine/expressions.py), in the lint's messages.
    N_("script"),
    N_("script avant la tâche (preScript)"),
    N_("script après la tâche (postScript)"),
    N_("expression"),
    N_("condition"),
    N_("nombre d'instances (loopCardinality)"),
    N_("expression de corrélation"),
    N_("condition de fin (completionCondition)"),
    N_("condition du flux sortant"),
    N_("nom de variable"),
    N_("nom d'objet de données"),
)

DOCUMENT_ADDED = N_("Document ajouté : %(label)s (%(filename)s)")
TASK_DONE = N_("« %(title)s » traitée")
MIGRATED = N_("Demande passée de la version %(old)s à la version %(new)s de la démarche")
MIGRATION_UNDONE = N_("Demande revenue de la version %(old)s à la version %(new)s de la démarche")
BY = N_("Par %(name)s")
CLAIMED = N_("Prise en charge par %(name)s")
RELEASED = N_("Remise dans la file par %(name)s")
ASSIGNED = N_("Attribuée à %(to)s par %(by)s")
AUTO_ASSIGNED = N_("« %(title)s » attribuée automatiquement à %(name)s")
REASSIGNED = N_("« %(title)s » confiée à %(name)s : %(reason)s")
REQUEUED = N_("« %(title)s » remise dans la file du %(role)s : %(reason)s")
SERVICE_ROLE = N_("Service %(lane)s")
# The technical message of a request « en erreur » (the agents' timeline, the studio's test runs).
RUNAWAY_ELEMENTS = N_(
    "Erreur d'exécution de la démarche : plus de %(count)s éléments parcourus sans attendre personne "
    "(une boucle de passerelles ou d'événements sans fin ?). Dernier élément : « %(name)s »."
)
RUN_FAILED = N_("Erreur d'exécution de la démarche : %(detail)s")
ELEMENT_FAILED = N_("Erreur dans l'élément %(element)s : « %(source)s » a échoué. %(detail)s")
RUNAWAY_EXPRESSIONS = N_(
    "plus de %(count)s expressions évaluées sans attendre personne "
    "(une boucle de tâches automatiques sans fin ?)"
)
INSTANCE_COUNT = N_("le nombre d'instances doit être un entier entre 0 et %(limit)s")
UNKNOWN_OPERATION = N_("Opération de service inconnue : %(name)s")
DATA_TOO_LARGE = N_(
    "Les données de la demande sont trop volumineuses : %(size)s octets (au plus %(limit)s). "
    "Une expression ou un script du diagramme en produit trop."
)
DATA_NOT_SAVED = N_("Les données de la demande ne peuvent pas être enregistrées (%(detail)s).")
EXPRESSION_REFUSED = N_("Expression refusée : %(detail)s")
SCRIPT_REFUSED = N_("Script refusé : %(detail)s")
VALUE_TOO_LARGE = N_("Valeur trop grande : %(what)s de %(size)s éléments (au plus %(limit)s).")
MEMORY_EXCEEDED = N_("Mémoire dépassée : l'expression a construit plus de %(limit)s éléments.")
NUMBER_TOO_LARGE = N_("Nombre trop grand : plus de %(bits)s bits.")
OPERATOR_REFUSED = N_("Opérateur %(op)s interdit dans un script.")
LOOP_TOO_LONG = N_("Boucle trop longue : plus de %(count)s tours dans une expression.")
TOO_LONG = N_("Calcul trop long : l'expression a dépassé %(seconds)s s de temps de calcul.")
RANGE_LIMITED = N_("range() limité à %(count)s valeurs.")
FORMAT_REFUSED = N_("Format refusé : %(detail)s.")
BACK_TO_VERSION = N_("Retour à la version %(version)s")
CLI_DEPLOYED = N_("Déployée en ligne de commande (%(digest)s)")
BAD_DEADLINE = N_("avant_echeance : date « %(deadline)s » ou durée « %(duration)s » invalide")
PARAMETER = N_("paramètre « %(name)s »")
VALUE_OF_TYPE = N_("valeur de type %(type)s")
ATTRIBUTE = N_("attribut « %(name)s »")
FORMAT_SPEC = N_("spécification de format « %(spec)s » non permise (largeur limitée à 999)")

TEMPLATES = (
    DOCUMENT_ADDED,
    TASK_DONE,
    MIGRATED,
    MIGRATION_UNDONE,
    BY,
    CLAIMED,
    RELEASED,
    ASSIGNED,
    AUTO_ASSIGNED,
    REASSIGNED,
    REQUEUED,
    RUNAWAY_ELEMENTS,
    RUN_FAILED,
    ELEMENT_FAILED,
    RUNAWAY_EXPRESSIONS,
    INSTANCE_COUNT,
    UNKNOWN_OPERATION,
    DATA_TOO_LARGE,
    DATA_NOT_SAVED,
    EXPRESSION_REFUSED,
    SCRIPT_REFUSED,
    VALUE_TOO_LARGE,
    MEMORY_EXCEEDED,
    NUMBER_TOO_LARGE,
    OPERATOR_REFUSED,
    LOOP_TOO_LONG,
    TOO_LONG,
    RANGE_LIMITED,
    FORMAT_REFUSED,
    FORMAT_SPEC,
    PARAMETER,
    BAD_DEADLINE,
    BACK_TO_VERSION,
    CLI_DEPLOYED,
    VALUE_OF_TYPE,
    ATTRIBUTE,
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def french(message: str, **params: object) -> str:
    """The French text to store (never translated now: it is translated where it is shown)."""
    return message % params if params else message


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    seen: set[str] = set()
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        elif part in seen:
            regex += f"(?P={part})"
        else:
            seen.add(part)
            regex += f"(?P<{part}>.+?)"
    return re.compile(regex + r"\Z", re.S)


def translate_stored(text: str | None) -> str | None:
    """`text`, written in French by the engine, in the reader's language (as written when unknown)."""
    if not text or not translation_needed():  # a French reader: the stored text as it is
        return text
    if text in FIXED:
        return _(text)
    for template in TEMPLATES:
        found = _pattern(template).match(text)
        if found:
            values = {name: translate_stored(value) for name, value in found.groupdict().items()}
            return _(template, **values)
    if " ; " in text:  # a list of problems (« Script refusé : a ; b »)
        return " ; ".join(str(translate_stored(part)) for part in text.split(" ; "))
    return _(text)  # a shipped diagram's name inside a stored text (« Tâche « Saisir… » terminée »)


def translate_role(role: str | None) -> str | None:
    """« Famille », « Service Accueil » (a lane's role on the timeline) in the reader's language."""
    if not role or not translation_needed():
        return role
    if role in FIXED:
        return _(role)
    found = _pattern(SERVICE_ROLE).match(role)
    return _(SERVICE_ROLE, lane=found["lane"]) if found else role
