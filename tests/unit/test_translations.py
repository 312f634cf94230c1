"""English beside French: every wrapped message has its English text, no template text is left
unwrapped, placeholders match, and the same French text is not translated two ways.

`TRANSLATED` is the whole code base: every Python module and template of web, forms and engine, and
the shipped démarches' BPMN files.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from web.core import translations

TRANSLATED = ["web", "forms", "engine", "workflows"]  # the whole code base (web/core/translations.py)


def test_every_wrapped_message_has_its_english_text() -> None:
    missing = translations.missing(TRANSLATED)
    assert not missing, "\n".join(f"{where[0]}: {msgid!r}" for msgid, where in sorted(missing.items()))


def test_no_template_text_is_left_unwrapped() -> None:
    bare = translations.bare(TRANSLATED)
    assert not bare, "\n".join(f"{path}: {word!r}" for path, words in bare.items() for word in words)


def _catalogues() -> list[Path]:
    return sorted((translations.CATALOGUE / "en").glob("*.po"))


def test_placeholders_of_each_translation_match_the_french() -> None:
    errors = []
    for path in _catalogues():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="en")
        for message, problems in catalog.check():
            errors += [f"{path.name}: {message.id!r}: {problem}" for problem in problems]
    assert not errors, "\n".join(errors)


def test_one_french_text_has_one_english_text() -> None:
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for path in _catalogues():
        with path.open("rb") as handle:
            for message in read_po(handle, locale="en"):
                if not message.id or not message.string or isinstance(message.id, tuple):
                    continue
                first = seen.setdefault(message.id, (message.string, path.name))
                if first[0] != message.string:
                    conflicts.append(
                        f"{message.id!r}: {first[0]!r} ({first[1]}) vs {message.string!r} ({path.name})"
                    )
    assert not conflicts, "\n".join(conflicts)


def test_the_scanner_sees_text_outside_gettext() -> None:
    """The bare-text check itself: literal words, readable attributes and {% trans %} blocks."""
    found = translations.bare_text(
        '<p title="Aide">Bonjour {{ name }}</p>{% trans %}Déjà traduit{% endtrans %}'
        '<img alt="{{ _(\'Logo\') }}" src="/x.png"><td data-label="Référence">{{ ref }}</td>'
    )
    assert found == ["Aide", "Référence", "Bonjour"]


def test_a_plural_needs_its_plural_entry(tmp_path, monkeypatch) -> None:
    """ngettext's (singular, plural) is one entry with msgid_plural: two plain entries do not count."""
    template = tmp_path / "web" / "templates" / "x.html"
    template.parent.mkdir(parents=True)
    template.write_text('{{ ngettext("%(num)d demande", "%(num)d demandes", n) }}', encoding="utf-8")
    catalogue = tmp_path / "web" / "translations" / "en"
    catalogue.mkdir(parents=True)
    (catalogue / "x.po").write_text(
        'msgid "%(num)d demande"\nmsgstr "%(num)d request"\n\n'
        'msgid "%(num)d demandes"\nmsgstr "%(num)d requests"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(translations, "ROOT", tmp_path)
    monkeypatch.setattr(translations, "CATALOGUE", tmp_path / "web" / "translations")
    assert list(translations.missing(["web/templates"])) == [("%(num)d demande", "%(num)d demandes")]
    translations.add_missing("x", ["web/templates"])
    with (catalogue / "x.po").open("rb") as handle:
        plural = [m for m in read_po(handle, locale="en") if isinstance(m.id, tuple)]
    assert [(m.id, m.string) for m in plural] == [
        (("%(num)d demande", "%(num)d demandes"), ("%(num)d request", "%(num)d requests"))
    ]
    assert translations.missing(["web/templates"]) == {}
