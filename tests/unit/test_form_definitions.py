"""Forms as data: every field type validates on the server; bad definitions are refused at publish
with a French message naming the field (engine/form_definitions.py, forms/data_forms.py)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import FileStorage, MultiDict

from engine import form_definitions, form_storage, validation
from engine.demarche_models import DemarcheModel, bpmn
from engine.lint import LintContext
from forms.data_form_answers import field_labels, value_labels
from forms.data_forms import form_class

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
CHOICES = [{"value": "a", "label": "Choix A"}, {"value": "b", "label": "Choix B"}]
EVERY_TYPE = {
    "kind": "saisie",
    "submit_label": "Envoyer",
    "fields": [
        {"name": "intro", "type": "section", "label": "Section"},
        {
            "name": "texte",
            "type": "text",
            "label": "Texte",
            "required": True,
            "max_length": 10,
            "pattern": "[A-Z]+",
            "pattern_message": "Des majuscules seulement.",
        },
        {"name": "long", "type": "textarea", "label": "Texte long", "min_length": 3},
        {"name": "nombre", "type": "number", "label": "Nombre", "required": True, "min": 1, "max": 5},
        {"name": "jour", "type": "date", "label": "Jour", "required": True},
        {"name": "radio", "type": "choice", "label": "Radio", "required": True, "choices": CHOICES},
        {"name": "liste", "type": "choice", "label": "Liste", "widget": "select", "choices": CHOICES},
        {
            "name": "cases",
            "type": "choice",
            "label": "Cases",
            "widget": "checkboxes",
            "choices": CHOICES,
            "required": True,
        },
        {"name": "accord", "type": "yesno", "label": "D'accord ?", "required": True},
        {
            "name": "pourquoi",
            "type": "text",
            "label": "Pourquoi",
            "required": True,
            "show_if": {"field": "accord", "equals": "non"},
        },
        {"name": "courriel", "type": "email", "label": "Courriel", "required": True},
        {"name": "tel", "type": "phone", "label": "Téléphone"},
        {"name": "adresse", "type": "address", "label": "Adresse", "required": True},
        {"name": "piece", "type": "document", "label": "Pièce", "required": True},
    ],
}
GOOD = {
    "texte": "ABC",
    "long": "assez long",
    "nombre": "2,5",
    "jour": "2026-12-01",
    "radio": "a",
    "liste": "b",
    "cases": ["a", "b"],
    "accord": "oui",
    "pourquoi": "typed, then hidden",
    "courriel": "camille@example.fr",
    "tel": "06 12 34 56 78",
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_code_postal": "78140",
    "adresse_commune": "Vélizy-Villacoublay",
}


@pytest.fixture
def form_app() -> Flask:
    application = Flask(__name__)
    application.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(application)  # the forms' messages go through gettext (French here)
    return application


def _post(form_app, definition, data, pdf=True):
    formdata = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            formdata.add(key, item)
    if pdf:
        formdata.add("piece", FileStorage(io.BytesIO(PDF), "piece.pdf", content_type="application/pdf"))
    with form_app.test_request_context("/", method="POST", data=formdata):
        form = form_class(definition)()
        valid = form.validate()
        return form, valid, form.to_engine_data() if valid else None


def test_the_definition_with_every_field_type_is_valid():
    assert form_definitions.problems(EVERY_TYPE) == []
    assert set(form_definitions.FIELD_TYPES) == {f["type"] for f in EVERY_TYPE["fields"]}


def test_every_field_type_validates_and_normalises_on_the_server(form_app):
    form, valid, data = _post(form_app, EVERY_TYPE, GOOD)
    assert valid, form.errors
    assert data["nombre"] == 2.5
    assert data["jour"] == date(2026, 12, 1)
    assert data["cases"] == ["a", "b"]
    assert data["tel"] == "+33612345678"
    assert data["adresse_code_postal"] == "78140"
    assert data["pourquoi"] is None  # its condition (accord = non) does not hold: the value is dropped
    assert "piece" not in data  # files go to the document table, never to the workflow
    assert [d.filename for d in form.piece.documents] == ["piece.pdf"]
    assert form.multipart


def test_every_field_type_refuses_bad_input_with_a_french_message(form_app):
    bad = {
        **GOOD,
        "texte": "abcdefghijkl",
        "long": "ab",
        "nombre": "9",
        "jour": "31/02/2026",
        "radio": "z",
        "cases": [],
        "accord": "non",
        "pourquoi": "",
        "courriel": "pas-une-adresse",
        "tel": "12",
        "adresse_code_postal": "00000",
    }
    form, valid, _data = _post(form_app, EVERY_TYPE, bad, pdf=False)
    assert not valid
    errors = {name: messages[0] for name, messages in form.errors.items()}
    assert errors["texte"] == "« Texte » doit comporter au plus 10 caractères."
    assert errors["long"] == "« Texte long » doit comporter entre 3 et 4000 caractères."
    assert errors["nombre"] == "« Nombre » doit être compris entre 1 et 5."
    assert "date" in errors["jour"].lower()
    assert errors["radio"] == "Choisissez parmi les réponses proposées."
    assert errors["cases"] == "Renseignez « Cases » : ce champ est obligatoire."
    assert errors["pourquoi"] == "Renseignez « Pourquoi » : ce champ est obligatoire."  # now asked
    assert errors["courriel"].startswith("Cette adresse électronique n'est pas valable.")
    assert errors["tel"].startswith("Ce numéro de téléphone n'est pas valable.")
    assert errors["adresse_code_postal"].startswith("Le code postal doit comporter 5 chiffres")
    assert errors["piece"] == "Joignez « Pièce » (PDF, JPEG ou PNG)."


def test_text_without_a_maximum_is_still_capped(form_app):
    form, valid, _data = _post(form_app, EVERY_TYPE, {**GOOD, "long": "x" * 4001})
    assert not valid
    assert form.errors["long"] == ["« Texte long » doit comporter entre 3 et 4000 caractères."]


def test_the_pattern_has_its_own_message(form_app):
    form, valid, _data = _post(form_app, EVERY_TYPE, {**GOOD, "texte": "abc"})
    assert not valid
    assert form.errors["texte"] == ["Des majuscules seulement."]


def test_a_decision_definition_lists_the_outcomes_and_the_message_rules(form_app):
    definition = form_definitions.empty("decision")
    assert form_definitions.problems(definition) == []
    form, valid, _data = _post(form_app, definition, {"decision": "complement", "motif": ""}, pdf=False)
    assert not valid
    assert form.errors["motif"] == [
        "Écrivez le message à la famille pour « Demander des compléments à la famille » : elle le lira."
    ]
    form, valid, data = _post(form_app, definition, {"decision": "acceptee"}, pdf=False)
    assert valid
    assert data["decision"] == "acceptee"
    assert [c.value for c in form.decision.choices] == ["acceptee", "refusee", "complement"]
    assert form.public_comment_field == "motif"
    assert form.internal_comment_field == "commentaire_interne"


def test_labels_of_a_data_form_for_the_agents_dossier():
    labels = field_labels(EVERY_TYPE)
    assert labels["texte"] == "Texte"
    assert labels["adresse_code_postal"] == "Adresse – Code postal"
    assert "intro" not in labels


def test_the_agents_dossier_shows_the_labels_of_the_answers_not_the_stored_values(form_app):
    from web.core.presentation import submitted_data

    _form, valid, data = _post(form_app, EVERY_TYPE, GOOD)
    assert valid
    assert (data["radio"], data["cases"], data["accord"]) == ("a", ["a", "b"], "oui")  # what is stored
    with form_app.test_request_context("/"):
        shown = dict(submitted_data(data, field_labels(EVERY_TYPE), value_labels(EVERY_TYPE)))
    assert shown["Radio"] == "Choix A"
    assert shown["Liste"] == "Choix B"
    assert shown["Cases"] == "Choix A, Choix B"  # several answers: listed, not hidden as a document
    assert shown["D'accord ?"] == "Oui"
    assert shown["Texte"] == "ABC"
    assert "Pièce" not in shown  # the documents are listed apart
    # A value no longer among the choices (an older version's) is shown as stored.
    assert dict(submitted_data({"radio": "z"}, field_labels(EVERY_TYPE), value_labels(EVERY_TYPE))) == {
        "Radio": "z"
    }
    # A coded form's choices apply to its own fields, not to a data form's field of the same name
    # (the correction démarche's radio `objet`, here a data form's text field).
    with form_app.test_request_context("/"):
        assert dict(submitted_data({"objet": "enfant"})) == {
            "Que faut-il corriger ?": "Une information sur un de mes enfants"
        }
        assert dict(submitted_data({"objet": "enfant"}, {"objet": "Objet"}, {})) == {"Objet": "enfant"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            [{"name": "vehicule", "type": "plaque", "label": "Plaque"}],
            "Champ « vehicule » : le type « plaque » n'existe pas",
        ),
        (
            [
                {"name": "nom", "type": "text", "label": "Nom"},
                {"name": "nom", "type": "text", "label": "Nom 2"},
            ],
            "Champ « nom » : ce nom est déjà celui d'un autre champ du formulaire",
        ),
        (
            [
                {
                    "name": "motif_b",
                    "type": "text",
                    "label": "B",
                    "show_if": {"field": "absent", "equals": "x"},
                }
            ],
            "Champ « motif_b » : la condition porte sur le champ « absent », qui n'existe pas",
        ),
        (
            [{"name": "couleur", "type": "choice", "label": "Couleur", "choices": []}],
            "Champ « couleur » : la liste de choix est vide ; ajoutez au moins un choix",
        ),
        (
            [{"name": "age", "type": "number", "label": "Âge", "min": 10, "max": 2}],
            "Champ « age » : le minimum (10) dépasse le maximum (2)",
        ),
        (
            [{"name": "code", "type": "text", "label": "Code", "pattern": "[A-"}],
            "Champ « code » : le motif « [A- » n'est pas une expression régulière valable",
        ),
        (
            [{"name": "Nom Complet", "type": "text", "label": "Nom"}],
            "Champ « Nom Complet » : le nom « Nom Complet »",
        ),
        (
            [{"name": "decision", "type": "text", "label": "Décision"}],
            "Champ « decision » : ce nom est réservé",
        ),
        (
            [
                {"name": "oui_non", "type": "yesno", "label": "Q"},
                {
                    "name": "b",
                    "type": "text",
                    "label": "B",
                    "show_if": {"field": "oui_non", "equals": "peut-être"},
                },
            ],
            "Champ « b » : la condition attend « peut-être » pour le champ « oui_non »",
        ),
        ([], "Formulaire : il n'a encore aucun champ"),
        (
            [{"name": "code", "type": "text", "label": "Code", "pattern": "(a+)+b"}],
            "Champ « code » : le motif « (a+)+b » répète un groupe déjà répété",
        ),
    ],
)
def test_bad_definitions_are_refused_with_a_french_message_naming_the_field(fields, expected):
    found = form_definitions.problems({"kind": "saisie", "fields": fields})
    assert any(p.startswith(expected) for p in found), found


def test_the_publish_checks_refuse_a_bad_form_and_locate_its_task(app):  # app: the BPMN operations
    model = DemarcheModel(
        key="essai", title="Essai", group="Stationnement", max_duration="P30D", description="d"
    )
    xml = bpmn(model)
    bad = {"kind": "saisie", "fields": [{"name": "a", "type": "inconnu", "label": "A"}]}
    xml = form_storage.with_form(xml, "saisie", bad, "essai")
    ctx = LintContext(form_keys=set(), lanes={"Stationnement"})
    result = validation.check(xml.encode("utf-8"), ctx)[0]
    assert not result.ok
    (problem,) = result.problems
    assert problem.element_id == "saisie"
    assert problem.message.startswith(
        "Formulaire de la tâche « Saisir la demande » (saisie) — "
        "Champ « a » : le type « inconnu » n'existe pas"
    )
    good = form_storage.with_form(xml, "saisie", EVERY_TYPE, "essai")
    assert validation.check(good.encode("utf-8"), ctx)[0].ok


@pytest.mark.parametrize(
    "blocks", [frozenset(), frozenset({"complements"}), frozenset({"relances", "notification"})]
)
def test_every_combination_of_building_blocks_gives_a_publishable_diagram(app, blocks):
    model = DemarcheModel(
        key="essai", title="Essai", group="Stationnement", max_duration="P10D", description="d", blocks=blocks
    )
    xml = form_storage.with_form(bpmn(model), "saisie", EVERY_TYPE, "essai")
    result = validation.check(xml.encode("utf-8"), LintContext(form_keys=set(), lanes={"Stationnement"}))[0]
    assert result.ok, result.problems
    kinds = {t.task_id: t.definition["kind"] for t in form_storage.task_forms(xml)}
    assert kinds.pop("saisie") == "saisie"
    assert kinds.pop("instruction") == "decision"
    assert kinds == ({"complement": "saisie"} if "complements" in blocks else {})


def test_setting_a_form_twice_keeps_one_definition_and_the_generated_form_key():
    model = DemarcheModel(
        key="essai", title="Essai", group="Stationnement", max_duration="P30D", description="d"
    )
    xml = form_storage.with_form(bpmn(model), "saisie", EVERY_TYPE, "essai")
    again = form_storage.with_form(xml, "saisie", EVERY_TYPE, "essai")
    assert form_storage.task_form(again, "saisie").definition == EVERY_TYPE
    assert form_storage.task_form(again, "saisie").form_key == "essai.saisie"
