"""Hardened BPMN parsing (parse_xml), spec bundles (build_bundle) and extension properties."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from engine.errors import DeployError
from engine.runtime import (
    BPMN_NS,
    MAX_BPMN_BYTES,
    build_bundle,
    element_properties,
    find_process,
    parse_xml,
)

REAL_BPMN = Path(__file__).resolve().parents[2] / "workflows" / "changement_adresse.bpmn"
REFUSED = "Le diagramme BPMN a été refusé : "
NO_DOCTYPE = "les déclarations DOCTYPE et ENTITY sont interdites"
SECRET = "CANARI-SECRET-7f3a9c"


@pytest.fixture(scope="module")
def real_xml() -> str:
    return REAL_BPMN.read_text(encoding="utf-8")


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def _passwd_line() -> str:
    try:
        return Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return "root:x:0:0"


def _refusal(data: bytes) -> DeployError:
    with pytest.raises(DeployError) as excinfo:
        parse_xml(data)
    error = excinfo.value
    assert error.message.startswith(REFUSED)
    assert error.errors
    assert error.message == REFUSED + " ; ".join(error.errors)
    return error


def _xxe_payloads(target: str) -> dict[str, str]:
    return {
        "external_entity": f'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "{target}">]>\n<foo>&xxe;</foo>',
        "external_entity_in_attribute": f'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "{target}">]>\n<foo a="&xxe;"/>',
        "external_dtd": f'<!DOCTYPE foo SYSTEM "{target}">\n<foo/>',
        "parameter_entity": f'<!DOCTYPE foo [<!ENTITY % ext SYSTEM "{target}">%ext;]>\n<foo/>',
        "error_based": (
            f'<!DOCTYPE foo [<!ENTITY % file SYSTEM "{target}">'
            "<!ENTITY % eval \"<!ENTITY &#x25; error SYSTEM 'file:///nonexistent/%file;'>\">"
            "%eval;%error;]>\n<foo/>"
        ),
    }


XXE_KINDS = [
    "external_entity",
    "external_entity_in_attribute",
    "external_dtd",
    "parameter_entity",
    "error_based",
]


@pytest.mark.parametrize("kind", XXE_KINDS)
def test_xxe_on_etc_passwd_is_refused_without_leaking(kind: str) -> None:
    xml = '<?xml version="1.0"?>\n' + _xxe_payloads("file:///etc/passwd")[kind]
    error = _refusal(xml.encode("utf-8"))
    assert error.errors == [NO_DOCTYPE]
    assert _passwd_line() not in error.message
    assert "root:" not in error.message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-32"])
@pytest.mark.parametrize("kind", XXE_KINDS)
def test_xxe_in_any_encoding_never_leaks_file_content(kind: str, encoding: str, secret_file: Path) -> None:
    # UTF-16/32 hide "<!DOCTYPE" from a byte search; the parsed tree must still be refused.
    xml = _xxe_payloads(secret_file.as_uri())[kind]
    error = _refusal(xml.encode(encoding))
    assert SECRET not in error.message
    assert all(SECRET not in e for e in error.errors)
    assert all(SECRET not in str(arg) for arg in error.args)


def _billion_laughs() -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    return f"<!DOCTYPE lolz [{entities}]>\n<lolz>&lol9;</lolz>"


def _quadratic_blowup() -> str:
    return f'<!DOCTYPE kaboom [<!ENTITY a "{"a" * 50_000}">]>\n<kaboom>{"&a;" * 50_000}</kaboom>'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("payload", [_billion_laughs, _quadratic_blowup], ids=["billion_laughs", "quadratic"])
def test_entity_expansion_bombs_are_refused_fast(payload, encoding: str) -> None:
    data = payload().encode(encoding)
    assert len(data) < MAX_BPMN_BYTES
    start = time.perf_counter()
    error = _refusal(data)
    assert time.perf_counter() - start < 2
    if encoding == "utf-8":
        assert error.errors == [NO_DOCTYPE]
    assert "lollollol" not in error.message
    assert "aaaaaaaaaa" not in error.message


@pytest.mark.parametrize(
    "data",
    [
        b'<!doctype foo SYSTEM "file:///etc/passwd"><foo/>',
        b'<!DocType foo [<!entity x "y">]><foo/>',
        b'<!ENTITY x "y"><foo/>',
        b'<?xml version="1.0"?><!DOCTYPE foo><foo/>',
    ],
    ids=["lowercase_doctype", "mixed_case", "entity_only", "empty_doctype"],
)
def test_any_doctype_or_entity_is_refused(data: bytes) -> None:
    assert _refusal(data).errors == [NO_DOCTYPE]


def test_doctype_slipped_into_the_real_file_is_refused(real_xml: str) -> None:
    xml = real_xml.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
        1,
    )
    assert xml != real_xml
    assert _refusal(xml.encode("utf-8")).errors == [NO_DOCTYPE]


def test_file_over_two_mib_is_refused_before_parsing(real_xml: str) -> None:
    padding = "<!--" + "x" * MAX_BPMN_BYTES + "-->"
    data = (real_xml + padding).encode("utf-8")
    assert len(data) > MAX_BPMN_BYTES
    error = _refusal(data)
    assert error.errors == ["le fichier dépasse la taille maximale de 2048 Kio"]


def test_size_limit_is_two_mib_exactly() -> None:
    assert MAX_BPMN_BYTES == 2 * 1024 * 1024
    at_limit = b"<a>" + b" " * (MAX_BPMN_BYTES - 7) + b"</a>"
    assert len(at_limit) == MAX_BPMN_BYTES
    assert parse_xml(at_limit).tag == "a"
    over = b"<a>" + b" " * (MAX_BPMN_BYTES - 6) + b"</a>"
    assert len(over) == MAX_BPMN_BYTES + 1
    assert "taille maximale" in _refusal(over).message


def test_size_is_checked_before_doctype() -> None:
    data = b'<!DOCTYPE a [<!ENTITY x "y">]><a>' + b" " * MAX_BPMN_BYTES + b"</a>"
    assert _refusal(data).errors == ["le fichier dépasse la taille maximale de 2048 Kio"]


def _zip_of(real_xml: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("changement_adresse.bpmn", real_xml)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"bonjour",
        b'{"process": "changement_adresse"}',
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        bytes(range(256)),
        b"<a><b></a>",
        b"<a>",
        b"<a/><b/>",
    ],
    ids=["empty", "text", "json", "pdf", "binary", "mismatched_tags", "unclosed", "two_roots"],
)
def test_non_xml_is_refused_in_french(data: bytes) -> None:
    error = _refusal(data)
    assert len(error.errors) == 1
    assert error.errors[0].startswith("XML invalide (")


def test_zip_file_bytes_are_refused_in_french(real_xml: str) -> None:
    data = _zip_of(real_xml)
    assert data.startswith(b"PK\x03\x04")
    error = _refusal(data)
    assert error.errors[0].startswith("XML invalide (")
    assert error.message.startswith("Le diagramme BPMN a été refusé : XML invalide")


def test_truncated_bpmn_is_refused(real_xml: str) -> None:
    error = _refusal(real_xml.encode("utf-8")[:500])
    assert error.errors[0].startswith("XML invalide (")


def test_real_workflow_is_accepted(real_xml: str) -> None:
    root = parse_xml(REAL_BPMN.read_bytes())
    assert root.tag == f"{{{BPMN_NS}}}definitions"
    assert root.get("id") == "Definitions_changement_adresse"
    assert parse_xml(real_xml.encode("utf-8")).get("id") == "Definitions_changement_adresse"


def test_comments_are_removed() -> None:
    root = parse_xml(b"<a><!-- commentaire --><b/></a>")
    assert [child.tag for child in root] == ["b"]


def test_xinclude_is_not_processed() -> None:
    root = parse_xml(
        b'<a xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<xi:include href="file:///etc/passwd" parse="text"/></a>'
    )
    assert (root.text or "") == ""
    assert [child.tag for child in root] == ["{http://www.w3.org/2001/XInclude}include"]
    assert "root:" not in "".join(root.itertext())


# --- build_bundle and the properties ------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(real_xml: str):
    return build_bundle(parse_xml(real_xml.encode("utf-8")))


def test_build_bundle_on_the_real_file(bundle) -> None:
    assert bundle.process_id == "changement_adresse"
    assert bundle.spec.name == "changement_adresse"
    assert set(bundle.subprocess_specs) == {"examen"}  # instruction and the requests for more information
    for task_id in ("debut", "saisie", "examen", "relance", "echeance", "decision_finale", "maj_adresse"):
        assert task_id in bundle.spec.task_specs
    assert "delai_depasse" not in bundle.spec.task_specs  # the request is never closed at its deadline
    for task_id in ("relancer_agents", "signaler_retard", "prevenir_retard"):
        assert bundle.spec.task_specs[task_id].lane == "Accueil"  # the reminder mails this lane's agents
    for task_id in ("instruction", "decision_prise", "complement", "nouvel_examen"):
        assert task_id in bundle.subprocess_specs["examen"].task_specs


def test_bundle_properties_of_the_user_task_and_the_process(bundle) -> None:
    assert bundle.props("saisie") == {
        "formKey": "changement_adresse.saisie",
        "statusLabel": "En cours de saisie",
    }
    assert bundle.props("instruction")["formKey"] == "changement_adresse.instruction"
    assert bundle.props("changement_adresse")["dureeMaximale"] == "P30D"
    assert bundle.props(None) == {}
    assert bundle.props("inexistant") == {}
    assert bundle.props("maj_adresse") == {}


def test_element_properties_maps_every_owner(real_xml: str) -> None:
    props = element_properties(parse_xml(real_xml.encode("utf-8")))
    assert set(props) == {
        "changement_adresse",
        "saisie",
        "instruction",
        "complement",
        "fin_acceptee",
        "fin_refusee",
    }
    assert props["saisie"]["formKey"] == "changement_adresse.saisie"
    assert props["saisie"]["statusLabel"] == "En cours de saisie"
    assert props["changement_adresse"]["dureeMaximale"] == "P30D"
    assert props["changement_adresse"]["description"].startswith("Signalez votre nouvelle adresse postale")
    assert props["fin_refusee"] == {"statusLabel": "Refusée"}


def test_find_process(real_xml: str) -> None:
    root = parse_xml(real_xml.encode("utf-8"))
    process = find_process(root, "changement_adresse")
    assert process is not None
    assert process.get("name") == "Changement d'adresses postales"
    assert find_process(root, "autre") is None


ONE_PROCESS = "le fichier doit contenir exactement un processus exécutable (isExecutable)"


def _bundle_refusal(xml: str) -> DeployError:
    with pytest.raises(DeployError) as excinfo:
        build_bundle(parse_xml(xml.encode("utf-8")))
    assert excinfo.value.message.startswith(REFUSED)
    return excinfo.value


def test_zero_executable_process_is_refused(real_xml: str) -> None:
    xml = real_xml.replace('isExecutable="true"', 'isExecutable="false"')
    assert xml.count('isExecutable="false"') == 1
    assert _bundle_refusal(xml).errors == [ONE_PROCESS]


def test_process_without_is_executable_is_refused(real_xml: str) -> None:
    xml = real_xml.replace(' isExecutable="true"', "")
    assert "isExecutable" not in xml
    assert _bundle_refusal(xml).errors == [ONE_PROCESS]


def test_two_executable_processes_are_refused(real_xml: str) -> None:
    second = (
        '  <bpmn:process id="autre_demarche" name="Autre démarche" isExecutable="true">\n'
        '    <bpmn:startEvent id="autre_debut" />\n'
        "  </bpmn:process>\n"
    )
    xml = real_xml.replace("  <bpmndi:BPMNDiagram", second + "  <bpmndi:BPMNDiagram", 1)
    assert xml.count('isExecutable="true"') == 2
    assert _bundle_refusal(xml).errors == [ONE_PROCESS]


def test_definitions_without_process_are_refused() -> None:
    xml = (
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="vide" targetNamespace="https://guichet.example/bpmn"/>'
    )
    assert _bundle_refusal(xml).errors == [ONE_PROCESS]


def test_dangling_sequence_flow_is_invalid_bpmn(real_xml: str) -> None:
    xml = real_xml.replace(
        'sourceRef="saisie" targetRef="examen"', 'sourceRef="saisie" targetRef="nulle_part"'
    )
    error = _bundle_refusal(xml)
    assert len(error.errors) == 1
    assert error.errors[0].startswith("BPMN non valide : ")
    assert "nulle_part" in error.errors[0]


def test_xml_that_is_not_bpmn_is_refused() -> None:
    error = _bundle_refusal("<demarche/>")
    assert error.errors[0].startswith("BPMN non valide : ")


def test_an_operation_named_like_an_element_is_refused_clearly() -> None:
    from engine.runtime import build_bundle

    source = (Path(__file__).resolve().parents[2] / "workflows" / "changement_adresse.bpmn").read_text()
    clashing = source.replace('<bpmn:serviceTask id="maj_adresse"', '<bpmn:serviceTask id="famille_notifier"')
    clashing = clashing.replace('sourceRef="maj_adresse"', 'sourceRef="famille_notifier"')
    clashing = clashing.replace('targetRef="maj_adresse"', 'targetRef="famille_notifier"')
    clashing = clashing.replace("<bpmn:flowNodeRef>maj_adresse<", "<bpmn:flowNodeRef>famille_notifier<")
    clashing = clashing.replace('bpmnElement="maj_adresse"', 'bpmnElement="famille_notifier"')
    with pytest.raises(DeployError) as caught:
        build_bundle(parse_xml(clashing.encode()))
    assert caught.value.errors == [
        "l'opération de service « famille_notifier » porte le même identifiant qu'un élément BPMN"
    ]
