"""Stored and reflected XSS (ASVS 1.2.1, 3.4.3): 60 payloads in the free-text fields that are rendered
back, checked in the real Chromium with the CSP *bypassed* (so that escaping, not the CSP, must hold).

A payload succeeds if it runs script (pushes to `window.__xss`, opens a dialog), injects an element
(anything carrying its `data-xss` marker), or gets a template evaluated (`SSTI{{7*7}}` → `SSTI49`).
Payloads are batched: as many as a field's maximum length allows go in one submission, and one page
shows every submission of a field (the dossier lists every comment, the admin list every agent...).

Fields: the family's address lines (« Changement d'adresses postales »), the agent's decision reason
to the family and internal comment, the agent's internal comment on the dossier, the admin's first and
last names of an agent, the analyst's publication comment in the studio, a facility's name,
presentation and services (public pages), the queue's search box (reflected), the login's user name
(reflected after a failure). Second test, the areas of the second round (tests/browser/xss_areas.py):
a stored document's name (« Mes documents »; the names refused for a « / » come back in the form), a
hand-made invoice's line labels and its cancellation reason (family's and Finances' pages), an
activity's presentation and documents to provide and its sessions' names (agents' settings, family's
booking page), a studio scenario case's name, a data-form field's label and help (form editor, the
field's page, the preview). Each of its pages must show some payload (else the check would be empty).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser import xss_areas, xss_more
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import ADDRESS, decide, file_address_change, post_form, proof, start_demarche
from tests.integration import idor_world
from tests.integration.test_studio import _adresse_v2
from web.extensions import db

pytestmark = pytest.mark.browser

_PAYLOADS = [
    "<script data-xss>__xss.push(N)</script>",
    "<img src=x data-xss onerror=__xss.push(N)>",
    "<svg data-xss onload=__xss.push(N)>",
    '"><script data-xss>__xss.push(N)</script>',
    "'><img src=x data-xss onerror=__xss.push(N)>",
    '" data-xss="N" autofocus onfocus="__xss.push(N)',
    "' data-xss='N' autofocus onfocus='__xss.push(N)",
    "</textarea><img src=x data-xss onerror=__xss.push(N)>",
    "</title><img src=x data-xss onerror=__xss.push(N)>",
    "</script><img src=x data-xss onerror=__xss.push(N)>",
    '<iframe data-xss srcdoc="<script>parent.__xss.push(N)</script>"></iframe>',
    '<a data-xss href="javascript:__xss.push(N)">x</a>',
    "<details data-xss open ontoggle=__xss.push(N)>",
    "<input data-xss autofocus onfocus=__xss.push(N)>",
    "<video data-xss><source onerror=__xss.push(N)></video>",
    "<audio data-xss src=x onerror=__xss.push(N)>",
    '<object data-xss data="javascript:__xss.push(N)"></object>',
    '<embed data-xss src="javascript:__xss.push(N)">',
    "<math><mtext><table><mglyph><style><img data-xss src=x onerror=__xss.push(N)>",
    '<noscript><p title="</noscript><img data-xss src=x onerror=__xss.push(N)>">',
    "SSTI{{7*7}}",
    "SSTI{% print(7*7) %}",
    "&lt;img src=x data-xss onerror=__xss.push(N)&gt;",
    "&#60;script data-xss&#62;__xss.push(N)&#60;/script&#62;",
    "%3Cscript data-xss%3E__xss.push(N)%3C/script%3E",
    "<scr<script>ipt data-xss>__xss.push(N)</script>",
    "<SCRIPT data-xss>__xss.push(N)</SCRIPT>",
    '<img data-xss src="x" onerror="&#95;&#95;xss.push(N)">',
    "<img data-xss src=x oNeRrOr=__xss.push(N)>",
    "<svg><script data-xss>__xss.push(N)</script></svg>",
    "<svg><animate data-xss onbegin=__xss.push(N) attributeName=x dur=1s>",
    "<marquee data-xss onstart=__xss.push(N)>",
    '<meta data-xss http-equiv="refresh" content="0;url=javascript:__xss.push(N)">',
    '<base data-xss href="javascript:__xss.push(N)//">',
    '<form data-xss action="javascript:__xss.push(N)"><button>x</button></form>',
    '<button data-xss formaction="javascript:__xss.push(N)">x</button>',
    '<div data-xss style="background:url(javascript:__xss.push(N))">',
    "<img data-xss src=`x` onerror=__xss.push(N)>",
    '"-__xss.push(N)-"',
    "'-__xss.push(N)-'",
    '\\";__xss.push(N);//',
    "</script><script data-xss>__xss.push(N)</script>",
    "--><img data-xss src=x onerror=__xss.push(N)>",
    "]]><img data-xss src=x onerror=__xss.push(N)>",
    "<x data-xss contenteditable autofocus onfocus=__xss.push(N)>",
    "<img data-xss src=x onerror=\\u0061lert(N)>",
    "<svg data-xss/onload=alert(N)>",
    "<img/src/data-xss/onerror=confirm(N)>",
    "javascript:alert(N)",
    "data:text/html,<script data-xss>alert(N)</script>",
    "<template data-xss><img src=x onerror=__xss.push(N)></template>",
    "＜script data-xss＞__xss.push(N)＜/script＞",
    '<a data-xss href="jav&#x09;ascript:__xss.push(N)">x</a>',
    "<img data-xss src=x onerror=eval(atob('X194c3MucHVzaCg5OSk='))>",
    '"><svg data-xss onload=__xss.push(N)>',
    "<select data-xss autofocus onfocus=__xss.push(N)>",
    "<body data-xss onload=__xss.push(N)>",
    "<style>*{}</style><b data-xss>N</b>",
    "<link data-xss rel=import href=data:text/html,x>",
    "\u2028<img data-xss src=x onerror=__xss.push(N)>\u2029",
]
PAYLOADS = [p.replace("N", str(n)) if p.count("N") else p for n, p in enumerate(_PAYLOADS, start=1)]
PROBE = """() => ({
    ran: window.__xss.slice(),
    injected: document.querySelectorAll('[data-xss]').length,
    ssti: document.documentElement.innerHTML.includes('SSTI49'),
})"""


def chunks(limit: int, payloads: list[str] = PAYLOADS) -> list[str]:
    """The payloads joined by a space, as few submissions as the field's maximum length allows."""
    out: list[str] = []
    current = ""
    for payload in payloads:
        if current and len(current) + 1 + len(payload) > limit:
            out.append(current)
            current = ""
        current = f"{current} {payload}" if current else payload
    out.append(current)
    return out


class Renderer:
    """One Chromium context per viewer, the CSP bypassed, logged in with the test client's cookie."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base = browser, base
        self.results: list[tuple[str, str, dict[str, Any]]] = []
        self.pages = 0
        self.dialogs: list[str] = []
        self.contexts: list[Any] = []

    def tab(self, client: Any) -> Any:
        context = self.browser.new_context(base_url=self.base, bypass_csp=True, locale="fr-FR")
        self.contexts.append(context)
        cookie = client.get_cookie("session") if client is not None else None
        if cookie is not None:
            context.add_cookies([{"name": "session", "value": cookie.value, "url": self.base}])
        context.add_init_script("window.__xss = []")
        page = context.new_page()
        page.on("dialog", lambda d: (self.dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
        return page

    def visit(self, page: Any, field: str, url: str) -> None:
        response = page.goto(url)
        assert response is not None
        assert response.status < 400, (field, url, response.status)
        self._probe(page, field, url)

    def show(self, page: Any, field: str, html: str) -> None:
        """A page answered to a POST (a re-rendered form), loaded as is."""
        page.goto("/sante")
        page.set_content(html)
        self._probe(page, field, "(réponse)")

    def _probe(self, page: Any, field: str, url: str) -> None:
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # let autofocus, ontoggle and onbegin fire (a settle, not an assertion)
        self.pages += 1
        self.results.append((field, url, page.evaluate(PROBE)))

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def renderer(browser, live_server) -> Iterator[Renderer]:
    shown = Renderer(browser, live_server)
    yield shown
    shown.close()


FACILITY = {
    "kind": "creche",
    "address": "8 rue de la Division-Leclerc",
    "postal_code": "78140",
    "commune": "Vélizy-Villacoublay",
    "area": "",
    "phone": "",
    "email": "",
    "website": "",
    **{day: "" for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")},
}


def _facility_ids(app) -> list[int]:
    from web.structures.models import Facility

    with app.app_context():
        return [f.id for f in db.session.query(Facility).order_by(Facility.id)]


def _main(html: str) -> str:
    """The <main> element of a page (where every user-supplied text is shown)."""
    begin, end = html.find("<main"), html.rfind("</main>")
    assert begin >= 0
    assert end > begin
    return html[begin : end + len("</main>")]


def test_no_payload_runs_or_injects_in_any_rendered_field(app, people, client_for, make_user, renderer):
    started = time.monotonic()
    assert len(PAYLOADS) >= 50
    famille, agent = client_for(people["famille"]), client_for(people["accueil"])
    tried: dict[str, int] = {}
    views: dict[str, list[tuple[Any, str]]] = {}  # field → (client, url) of every page showing it

    # The family's address lines (200 characters each), shown to the family and in the dossier.
    lines = chunks(200)
    filed = []
    pairs = [(lines[i], lines[i + 1] if i + 1 < len(lines) else "") for i in range(0, len(lines), 2)]
    for first, second in pairs:
        task = start_demarche(famille)
        address = {**ADDRESS, "adresse_ligne1": first, "adresse_ligne2": second}
        response = post_form(famille, f"/taches/{task}", {**address, **proof()})
        assert response.status_code == 302, response.status_code
        filed.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    tried["adresse (lignes 1 et 2)"] = len(PAYLOADS)
    views["adresse (famille)"] = [(famille, f"/mes-demandes/{i}") for i in filed]
    views["adresse (dossier)"] = [(agent, f"/agents/dossiers/{i}") for i in filed]

    # The agent's decision: reason to the family and internal comment (2000 characters each).
    decisions = []
    for chunk in chunks(2000):
        decided = file_address_change(app, famille)
        response = decide(agent, decided.agent_task_id, "refusee", chunk, chunk)
        assert response.status_code == 302, response.status_code
        decisions.append(decided.instance_id)
    tried["motif de la décision"] = tried["commentaire interne de la décision"] = len(PAYLOADS)
    views["décision (famille)"] = [(famille, f"/mes-demandes/{i}") for i in decisions]
    views["décision (dossier)"] = [(agent, f"/agents/dossiers/{i}") for i in decisions]
    # Internal comments on a dossier (2000 characters each).
    dossier = f"/agents/dossiers/{filed[0]}"
    for chunk in chunks(2000):
        posted = post_form(agent, dossier, {"commentaire": chunk}, action=f"{dossier}/commentaires")
        assert posted.status_code == 302, posted.status_code
    tried["commentaire interne du dossier"] = len(PAYLOADS)
    views["commentaire interne"] = [(agent, dossier)]
    views["file des tâches"] = [(agent, "/agents/")]

    # The admin's names of agents (150 characters each), listed on « Agents » and « Attribuer à ».
    admin = client_for(make_user("admin"))
    for n, chunk in enumerate(chunks(150)):
        data = {"username": f"xss{n}", "email": f"xss{n}@exemple.fr", "password": "une phrase longue 2026"}
        data |= {"role": "agent", "groups": ["Accueil"], "prenom": chunk, "nom": chunk}
        created = post_form(admin, "/admin/agents", data)
        assert created.status_code == 302, created.status_code
    tried["prénom de l'agent"] = tried["nom de l'agent"] = len(PAYLOADS)
    views["agents"] = [(admin, "/admin/agents")]
    views["attribuer à"] = [(agent, f"/agents/taches/{filed[1]}/attribuer")]

    # The studio's publication comment (2000 characters), in the « Journal des publications ».
    analyst = client_for(make_user("analyste"))
    studio = "/studio/changement_adresse"
    for n, chunk in enumerate(chunks(2000)):
        bpmn = _adresse_v2().replace("Examiner la demande", f"Examiner la demande ({n})")
        saved = post_form(analyst, studio, {"bpmn": bpmn}, action=f"{studio}/brouillon")
        assert saved.status_code in (200, 302), saved.status_code
        published = post_form(analyst, studio, {"commentaire": chunk}, action=f"{studio}/publier")
        assert published.status_code == 302, published.status_code
    tried["commentaire de publication"] = len(PAYLOADS)
    views["studio"] = [(analyst, studio)]

    # Facilities (« Vie des quartiers »): name (120), presentation and services (2000), on the public pages.
    manager = client_for(make_user("agent", groups=["Vie des quartiers"]))
    names, texts = chunks(120), chunks(2000)
    facilities = []
    for n, name in enumerate(names):
        form = {**FACILITY, "name": name}
        form |= {
            "description": texts[n] if n < len(texts) else "",
            "services": texts[n] if n < len(texts) else "",
        }
        created = post_form(manager, "/agents/structures/nouvelle", form)
        assert created.status_code == 302, created.status_code
        facilities.append(created.headers["Location"])
    tried["nom de la structure"] = tried["présentation"] = tried["services proposés"] = len(PAYLOADS)
    visitor = app.test_client()
    views["structures"] = [(visitor, "/structures")]
    views["structure"] = [(visitor, f"/structures/{n}") for n in _facility_ids(app)][: len(texts)]

    # Reflected: the queue's search box (100 characters) and the login's user name.
    views["recherche (reflétée)"] = [(agent, f"/agents/?q={quote(chunk)}") for chunk in chunks(100)]
    tried["recherche de la file (reflétée)"] = len(PAYLOADS)
    refused = []
    for chunk in chunks(150):
        token = csrf_token(visitor, "/connexion")
        answer = visitor.post("/connexion", data={"username": chunk, "password": "x", "csrf_token": token})
        refused.append(_main(answer.get_data(as_text=True)))
    tried["nom d'utilisateur de la connexion (reflété)"] = len(PAYLOADS)

    # Each page kind once in the live site (with its scripts); every page's <main> in one document.
    tabs: dict[int, Any] = {}
    for field, pages in views.items():
        client, url = pages[0]
        tab = tabs.setdefault(id(client), renderer.tab(client))
        renderer.visit(tab, field, url)
        if len(pages) > 1:
            mains = [_main(client.get(u).get_data(as_text=True)) for _, u in pages]
            renderer.show(
                tab, field, "<!DOCTYPE html><html lang=fr><body>" + "".join(mains) + "</body></html>"
            )
    anonymous = renderer.tab(None)
    renderer.show(
        anonymous, "connexion", "<!DOCTYPE html><html lang=fr><body>" + "".join(refused) + "</body></html>"
    )

    # Control: the same payloads *unescaped* do run and inject here (the probe can see a success).
    renderer.show(
        anonymous, "contrôle", "<!DOCTYPE html><html><body>" + " ".join(PAYLOADS) + "</body></html>"
    )
    control = renderer.results.pop()[2]
    assert len(set(control["ran"])) >= 10
    assert control["injected"] >= 15  # (in one document, early payloads swallow later ones)
    succeeded = [(f, u, r) for f, u, r in renderer.results if r["ran"] or r["injected"] or r["ssti"]]
    total = sum(tried.values())
    shown = sum(len(pages) for pages in views.values()) + len(refused)
    print(f"XSS: {len(PAYLOADS)} payloads x {len(tried)} fields = {total} cells; {shown} pages")
    print(
        f"  in {renderer.pages} Chromium loads; {len(succeeded)} succeeded, {len(renderer.dialogs)} dialogs"
    )
    print(f"  control, unescaped: {len(set(control['ran']))} ran, {control['injected']} elements injected")
    print(f"  {time.monotonic() - started:.1f} s")
    for field, count in tried.items():
        print(f"  {field}: {count}")
    assert succeeded == []
    assert renderer.dialogs == []
    assert total >= 12 * len(PAYLOADS)


def test_no_payload_runs_or_injects_in_the_new_areas_fields(app, people, client_for, make_user, renderer):
    """The second round's fields: « Mes documents », invoices, activities, scenario cases, form editor."""
    started = time.monotonic()
    famille = client_for(people["famille"])
    objects = idor_world.family_objects(app, people["famille"])  # record F-IDOR, activity of « Sports »
    sink = xss_areas.Sink()
    xss_areas.stored_documents(app, famille, PAYLOADS, chunks, sink)
    finances = client_for(make_user("agent", groups=["Finances"]))
    xss_areas.invoices(famille, finances, PAYLOADS, chunks, sink)
    sports = client_for(make_user("agent", groups=["Sports"]))
    xss_areas.activities(app, famille, sports, objects["activity_id"], PAYLOADS, chunks, sink)
    make_user("agent", groups=["Stationnement"])  # the new démarche's group
    analyst = client_for(make_user("analyste"))
    xss_areas.scenario_cases(analyst, PAYLOADS, chunks, sink)
    xss_areas.form_fields(analyst, PAYLOADS, chunks, sink)

    succeeded, total = _render_sink(renderer, sink, famille, "new areas", started)
    assert succeeded == []
    assert renderer.dialogs == []
    assert total >= 9 * len(PAYLOADS)


def _record_of_payment(app: Any, payment_id: int) -> int:
    from web.factures.models import Payment

    with app.app_context():
        return db.session.get(Payment, payment_id).family_record_id


def _render_sink(renderer: Any, sink: Any, home: Any, title: str, started: float) -> tuple[list[Any], int]:
    """Show every page of the sink in Chromium (pages of one field together), then the refused forms;
    return the payloads that succeeded and the number of cells tried."""
    blank = [
        f
        for f, p in sink.views.items()
        if "xss.push(" not in _main(p[0][0].get(p[0][1]).get_data(as_text=True))
    ]
    assert blank == [], "pages that show no payload"
    markers = ("xss.push(", "data-xss", "SSTI")  # some payloads call alert() and carry only their marker
    silent = [f for f, html in sink.answers if not any(m in _main(html) for m in markers)]
    assert silent == [], "captured pages that show no payload"
    tabs: dict[int, Any] = {}
    for field, pages in sink.views.items():
        client, url = pages[0]
        tab = tabs.setdefault(id(client), renderer.tab(client))
        renderer.visit(tab, field, url)
        if len(pages) > 1:
            mains = [_main(client.get(u).get_data(as_text=True)) for _, u in pages]
            renderer.show(
                tab, field, "<!DOCTYPE html><html lang=fr><body>" + "".join(mains) + "</body></html>"
            )
    refused = "".join(_main(html) for _, html in sink.answers)
    renderer.show(
        tabs.setdefault(id(home), renderer.tab(home)),
        "formulaires refusés",
        f"<!DOCTYPE html><html lang=fr><body>{refused}</body></html>",
    )

    succeeded = [(f, u, r) for f, u, r in renderer.results if r["ran"] or r["injected"] or r["ssti"]]
    total = sum(sink.tried.values())
    shown = sum(len(pages) for pages in sink.views.values()) + len(sink.answers)
    print(
        f"XSS ({title}): {len(PAYLOADS)} payloads x {len(sink.tried)} fields = {total} cells; {shown} pages"
    )
    print(
        f"  in {renderer.pages} Chromium loads; {len(succeeded)} succeeded, {len(renderer.dialogs)} dialogs"
    )
    print(f"  {time.monotonic() - started:.1f} s")
    for field, count in sink.tried.items():
        print(f"  {field}: {count}")
    return succeeded, total


def test_no_payload_runs_or_injects_in_the_third_round_fields(
    app, people, client_for, make_user, renderer, time_machine
):
    """Agent group names, saved filter names, a facility's address and its closures' reasons, an
    activity's admitted classes and draw criteria, the form editor's choices, format messages, settings
    and decision outcomes, a family's identity fields, its answer to a correction request, the
    activities, families and invoices CSV imports, a payment's review note, the signup wizard's
    identity step."""
    # A fixed day: the facilities' closures (March 2027) are shown while upcoming only.
    time_machine.move_to(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=True)
    started = time.monotonic()
    sink = xss_areas.Sink()
    admin = client_for(make_user("admin"))
    with xss_more.groups_removed_after(app):  # the app is shared: later tests list the groups
        _third_round(app, people, client_for, make_user, renderer, admin, sink, started)


def _third_round(app, people, client_for, make_user, renderer, admin, sink, started) -> None:
    xss_more.group_names(admin, PAYLOADS, chunks, sink)
    agents = [client_for(make_user("agent", groups=["Accueil"])) for _ in range(3)]
    xss_more.saved_filters(agents, PAYLOADS, chunks, sink)
    manager = client_for(make_user("agent", groups=["Vie des quartiers"]))
    visitor = app.test_client()
    xss_more.facilities(app, manager, visitor, PAYLOADS, chunks, sink)
    famille = client_for(people["famille"])
    objects = idor_world.family_objects(app, people["famille"])  # an activity of « Sports »
    sports = client_for(make_user("agent", groups=["Sports"]))
    xss_more.activity_rules(famille, sports, objects["activity_id"], PAYLOADS, chunks, sink)
    enfance = client_for(make_user("agent", groups=["Enfance"]))
    xss_more.correction_answers(famille, enfance, PAYLOADS, chunks, sink)
    xss_more.activities_import(enfance, PAYLOADS, chunks, sink)
    xss_more.families_import(enfance, PAYLOADS, chunks, sink)
    finances = client_for(make_user("agent", groups=["Finances"]))
    xss_more.invoices_import(app, famille, finances, PAYLOADS, chunks, sink)
    record_id = _record_of_payment(app, objects["payment_id"])
    xss_more.payment_notes(app, finances, record_id, PAYLOADS, chunks, sink)
    xss_more.signup_wizard(app, PAYLOADS, chunks, sink)
    make_user("agent", groups=["Stationnement"])  # the model démarche's group
    xss_more.form_settings(client_for(make_user("analyste")), PAYLOADS, chunks, sink)
    xss_more.identity(client_for(make_user("famille")), PAYLOADS, chunks, sink)
    succeeded, total = _render_sink(renderer, sink, visitor, "third round", started)
    assert succeeded == []
    assert renderer.dialogs == []
    assert total >= 20 * len(PAYLOADS)
