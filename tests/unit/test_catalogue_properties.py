"""The catalogue's process properties: parsing (engine/catalogue.py) and deploy-time lint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import runtime
from engine.catalogue import Rubrique, process_documentation, split_paragraphs, split_pieces
from engine.lint import LintContext, lint
from engine.runtime import ServiceOperation, build_bundle, parse_xml
from web.app import discover_operations

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "changement_telephone.bpmn"
CONTEXT = LintContext(
    form_keys={"changement_telephone.saisie", "changement_telephone.instruction"}, lanes={"Accueil"}
)
RUBRIQUE = '<spiffworkflow:property name="rubrique" value="Coordonnées" />'


def _noop(ctx: object, **params: object) -> None:
    return None


@pytest.fixture(autouse=True)
def services(monkeypatch: pytest.MonkeyPatch) -> None:
    discover_operations()  # the diagram calls famille_notifier and the deadlines' operations too
    for name in ("compte_mettre_a_jour_telephones", "courriel_envoyer"):
        monkeypatch.setitem(runtime.SERVICES, name, ServiceOperation(name, _noop, name))


def lint_with(new_property: str | None) -> list[str]:
    """Lint the shipped diagram with the rubrique property replaced (a same-name property is removed)."""
    xml = BPMN.read_text(encoding="utf-8")
    assert xml.count(RUBRIQUE) == 1
    if new_property is not None:
        for name in re.findall(r'name="(\w+)"', new_property):
            if name != "rubrique":
                xml = re.sub(rf'<spiffworkflow:property name="{name}" value="[^"]*" />', "", xml, count=1)
        xml = xml.replace(RUBRIQUE, new_property)
    root = parse_xml(xml.encode("utf-8"))
    return lint(root, build_bundle(root), CONTEXT)


def prop(name: str, value: str) -> str:
    return f'<spiffworkflow:property name="{name}" value="{value}" />'


def test_the_shipped_diagram_is_clean() -> None:
    assert lint_with(None) == []


@pytest.mark.parametrize(
    "value", ["Coordonnées", "Enfance", "État civil", "Écoles, périscolaire", "Vie d'un quartier"]
)
def test_good_rubriques_pass(value: str) -> None:
    assert lint_with(prop("rubrique", value)) == []


@pytest.mark.parametrize(
    "value", ["coordonnées", "", "&lt;b&gt;Coordonnées&lt;/b&gt;", "Coordonnées/Téléphones", "A" * 61]
)
def test_bad_rubriques_are_refused_with_a_french_message(value: str) -> None:
    (error,) = lint_with(prop("rubrique", value))
    assert error.startswith("Processus (changement_telephone) : la rubrique")
    assert "n'est pas valable" in error


def test_order_must_be_a_whole_number() -> None:
    (error,) = lint_with(RUBRIQUE + prop("ordre", "premier"))
    assert "« ordre » doit être un nombre entier positif" in error


def test_a_document_line_too_long_is_refused() -> None:
    (error,) = lint_with(RUBRIQUE + prop("piecesAFournir", "Justificatif&#10;" + "x" * 201))
    assert "une ligne de « piecesAFournir » dépasse 200 caractères" in error


def test_too_many_documents_are_refused() -> None:
    (error,) = lint_with(RUBRIQUE + prop("piecesAFournir", "&#10;".join(f"Pièce {n}" for n in range(21))))
    assert "plus de 20 lignes" in error


def test_catalogue_is_oui_or_non() -> None:
    (error,) = lint_with(RUBRIQUE + prop("catalogue", "peut-être"))
    assert "« catalogue » vaut « oui » ou « non »" in error


def test_documents_one_per_line_and_help_in_paragraphs() -> None:
    assert split_pieces("  Livret de famille \n\n Justificatif de domicile\n") == (
        "Livret de famille",
        "Justificatif de domicile",
    )
    assert split_paragraphs("Première ligne\nsuite.\n\n  \nSecond paragraphe.") == (
        "Première ligne suite.",
        "Second paragraphe.",
    )
    assert split_pieces(None) == ()
    assert split_paragraphs("") == ()


def test_process_documentation_is_the_process_own_not_an_element_one() -> None:
    xml = BPMN.read_text(encoding="utf-8").replace(
        '<bpmn:userTask id="saisie" name="Saisir les nouveaux numéros">',
        '<bpmn:userTask id="saisie" name="Saisir les nouveaux numéros">'
        "<bpmn:documentation>Tâche</bpmn:documentation>",
    )
    root = parse_xml(xml.encode("utf-8"))
    assert process_documentation(root, "changement_telephone") == ""
    xml = xml.replace(
        '<bpmn:process id="changement_telephone" name="Changement de téléphones" isExecutable="true">',
        '<bpmn:process id="changement_telephone" name="Changement de téléphones" isExecutable="true">'
        "<bpmn:documentation>Aide du processus</bpmn:documentation>",
    )
    assert (
        process_documentation(parse_xml(xml.encode("utf-8")), "changement_telephone") == "Aide du processus"
    )


def test_rubrique_anchors_are_ascii() -> None:
    assert Rubrique("Coordonnées", ()).anchor == "rubrique-coordonnees"
    assert Rubrique("État civil", ()).anchor == "rubrique-etat-civil"
