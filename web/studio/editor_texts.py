"""The texts of the studio's BPMN editor (web/studio/frontend/src/editor.js), in the reader's language.

The bundle holds no French: editor.html hands these texts to it as JSON in `data-texts`. Values with
`%(name)s` / `%(num)d` are filled by the script; plural forms come in pairs (`…_one`, `…_many`),
the script picking one as French does (one for 1, many above)."""

from __future__ import annotations

from flask_babel import get_translations

from web.core.i18n import _


def _pair(key: str, forms: tuple[str, str]) -> dict[str, str]:
    return {f"{key}_one": forms[0], f"{key}_many": forms[1]}


def _plurals() -> dict[str, str]:
    """The plural messages as templates (not filled: the script puts the number in)."""
    t = get_translations()
    pairs = {
        "problems": (
            t.ngettext(
                "%(num)d problème à corriger avant de publier :",
                "%(num)d problèmes à corriger avant de publier :",
                1,
            ),
            t.ngettext(
                "%(num)d problème à corriger avant de publier :",
                "%(num)d problèmes à corriger avant de publier :",
                2,
            ),
        ),
        "notes": (
            t.ngettext(
                "%(num)d remarque sans effet sur la publication",
                "%(num)d remarques sans effet sur la publication",
                1,
            ),
            t.ngettext(
                "%(num)d remarque sans effet sur la publication",
                "%(num)d remarques sans effet sur la publication",
                2,
            ),
        ),
        "years": (t.ngettext("%(num)d an", "%(num)d ans", 1), t.ngettext("%(num)d an", "%(num)d ans", 2)),
        "months": (
            t.ngettext("%(num)d mois", "%(num)d mois", 1),
            t.ngettext("%(num)d mois", "%(num)d mois", 2),
        ),
        "weeks": (
            t.ngettext("%(num)d semaine", "%(num)d semaines", 1),
            t.ngettext("%(num)d semaine", "%(num)d semaines", 2),
        ),
        "days": (
            t.ngettext("%(num)d jour", "%(num)d jours", 1),
            t.ngettext("%(num)d jour", "%(num)d jours", 2),
        ),
        "hours": (
            t.ngettext("%(num)d heure", "%(num)d heures", 1),
            t.ngettext("%(num)d heure", "%(num)d heures", 2),
        ),
        "minutes": (
            t.ngettext("%(num)d minute", "%(num)d minutes", 1),
            t.ngettext("%(num)d minute", "%(num)d minutes", 2),
        ),
        "seconds": (
            t.ngettext("%(num)d seconde", "%(num)d secondes", 1),
            t.ngettext("%(num)d seconde", "%(num)d secondes", 2),
        ),
    }
    texts: dict[str, str] = {}
    for key, forms in pairs.items():
        texts |= _pair(key, forms)
    return texts


def _panel() -> dict[str, str]:
    """The « Guichet » group of the properties panel."""
    return {
        "choose": _("— choisir —"),
        "unknown": _("%(value)s (inconnu de Guichet)"),
        "lane_label": _("Groupe d'agents du couloir"),
        "lane_help": _("Les tâches de ce couloir vont aux agents de ce groupe (Famille : le demandeur)."),
        "operation_label": _("Opération Guichet"),
        "operation_help": _("Les paramètres de l'opération suivent : modifiez, retirez ou ajoutez-en."),
        "param_label": _("Paramètre « %(name)s » (expression)"),
        "param_help": _(
            "Une expression : un texte entre guillemets, ou un nom de donnée (motif, reference…)."
        ),
        "param_remove": _("Retirer le paramètre « %(name)s »"),
        "param_bad_name": _(
            "Le nom : des lettres sans accent, des chiffres ou _, sans espace (par exemple « message »)."
        ),
        "param_exists": _("Le paramètre « %(name)s » existe déjà : modifiez-le ci-dessus."),
        "param_no_value": _(
            'La valeur : une expression, par exemple "un texte entre guillemets" ou un nom de donnée.'
        ),
        "param_offered": _("Paramètres de l'opération non encore donnés : %(names)s."),
        "param_hint": _("Un nom de paramètre de l'opération."),
        "param_new_name": _("Nouveau paramètre : nom"),
        "param_new_value": _("Nouveau paramètre : valeur (expression)"),
        "param_add": _("Ajouter le paramètre"),
        "timer_timeDuration": _("Durée"),
        "timer_timeDate": _("Date"),
        "timer_timeCycle": _("Cycle"),
        "timer_label": _("Minuterie (%(kind)s, expression)"),
        "timer_example": _('Par exemple "P5D" (5 jours) ou "PT48H" (48 heures), entre guillemets.'),
        "condition_label": _("Condition (expression)"),
        "condition_help": _('Par exemple decision == "acceptee". Laissez vide pour le flux par défaut.'),
        "title_label": _("Titre de la démarche"),
        "title_help": _("Affiché dans le catalogue et « Mes demandes »."),
        "description_label": _("Description"),
        "rubrique_label": _("Rubrique du catalogue"),
        "rubrique_help": _("Par exemple « Coordonnées »."),
        "duration_label": _("Durée maximale (ISO 8601)"),
        "duration_required": _("Obligatoire, par exemple P30D (30 jours)."),
        "pieces_label": _("Pièces à fournir"),
        "pieces_help": _("Une pièce par ligne."),
        "help_label": _("Aide à la saisie"),
        "help_help": _("Paragraphes séparés par une ligne vide."),
        "form_label": _("Formulaire"),
        "form_help": _("Le formulaire enregistré que remplit la personne du couloir."),
        "status_label": _("Statut affiché"),
        "status_help": _("Ce que la famille lit dans « Mes demandes » pendant cette étape."),
        "duration_unknown": _("durée non reconnue (exemples : P30D, P2M, PT48H)"),
        "duration_zero": _("durée nulle"),
        "duration_preview": _("« %(value)s » = %(words)s"),
    }


def texts() -> dict[str, str]:
    """Every text of the editor, by key."""
    return {
        **_panel(),
        **_plurals(),
        "ok": _("Aucun problème : ce diagramme peut être publié."),
        "unsaved": _("Modifications non enregistrées."),
        "saved": _("Brouillon enregistré (non publié)."),
        "save_failed": _("Le brouillon n'a pas pu être enregistré."),
        "save_offline": _("Le brouillon n'a pas pu être enregistré : vérifiez votre connexion et réessayez."),
        "opened": _("Diagramme ouvert."),
        "opened_warnings": _(
            "Diagramme ouvert (%(num)s élément(s) non reconnu(s) conservé(s) tel(s) quel(s))."
        ),
        "open_failed": _(
            "Le diagramme n'a pas pu être affiché : corrigez le XML ci-dessous "
            "ou téléversez un autre fichier."
        ),
    }
