"""XXE over the network (SECURITY.md check 39): a loopback canary server must get 0 requests.

External entities, external DTDs, parameter entities and XInclude pointing at the canary, in UTF-8
and UTF-16, through `engine.api.deploy`'s parser: each is refused with a French message and the
canary counts the requests it received (none). The control proves the canary can be reached.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from engine.errors import DeployError
from engine.runtime import build_bundle, parse_xml


class Canary:
    def __init__(self) -> None:
        self.hits = 0
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits += 1
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'<!ENTITY x "CANARI">')

            def log_message(self, *args: object) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/evil.dtd"


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    thread.join(timeout=5)


def payloads(url: str) -> dict[str, str]:
    bpmn = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    return {
        "external_entity": (
            f'<!DOCTYPE d [<!ENTITY e SYSTEM "{url}">]><bpmn:definitions {bpmn}>&e;</bpmn:definitions>'
        ),
        "external_dtd": f'<!DOCTYPE d SYSTEM "{url}"><bpmn:definitions {bpmn}/>',
        "public_dtd": f'<!DOCTYPE d PUBLIC "-//x//y" "{url}"><bpmn:definitions {bpmn}/>',
        "parameter_entity": f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{url}"> %p;]><bpmn:definitions {bpmn}/>',
        "entity_in_attribute": (
            f'<!DOCTYPE d [<!ENTITY e SYSTEM "{url}">]><bpmn:definitions {bpmn} id="&e;"/>'
        ),
        "xinclude": (
            f'<bpmn:definitions {bpmn} xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<xi:include href="{url}" parse="text"/></bpmn:definitions>'
        ),
        "schema_location": (
            f'<bpmn:definitions {bpmn} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="http://www.omg.org/spec/BPMN/20100524/MODEL {url}"/>'
        ),
    }


def test_the_canary_can_be_reached(canary: Canary) -> None:
    with urllib.request.urlopen(canary.url, timeout=5) as response:  # noqa: S310 - loopback canary
        assert response.status == 200
    assert canary.hits == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("kind", sorted(payloads("http://x")))
def test_no_payload_reaches_the_network(canary: Canary, kind: str, encoding: str) -> None:
    data = payloads(canary.url)[kind].encode(encoding)
    with pytest.raises(DeployError) as refused:  # for its DOCTYPE, or as no BPMN process at all
        build_bundle(parse_xml(data))
    assert refused.value.message.startswith("Le diagramme BPMN a été refusé : ")
    assert "CANARI" not in refused.value.message
    assert canary.hits == 0
