"""Checking the English catalogue against the code: what is left to translate, what is not wrapped.

    python -m web.core.translations missing web/factures forms/factures.py   # msgids without English
    python -m web.core.translations bare web/factures                        # template text not wrapped
    python -m web.core.translations python web/factures                      # French-looking Python strings
    python -m web.core.translations add factures web/factures forms/factures.py  # missing msgids appended
                                                    # to web/translations/en/factures.po, msgstr to fill

`missing` and `bare` are what tests/unit/test_translations.py asserts empty; `python` is a
heuristic list to review by hand (log lines, keys and codes are left in French on purpose).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "web" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2), "N_": None}
JINJA = "jinja2.ext:babel_extract"
JINJA_OPTIONS = {"trimmed": "true"}
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml"}
SKIPPED_DIRS = {"__pycache__", "migrations", "static", "translations", "voices"}


def source_files(paths: Iterable[str]) -> Iterator[Path]:
    """The Python files and templates under `paths` (files or directories relative to the repository)."""
    for name in paths:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for candidate in candidates:
            if SKIPPED_DIRS & set(candidate.relative_to(ROOT).parts):
                continue
            if candidate.suffix == ".py" or (
                candidate.suffix in TEMPLATE_SUFFIXES and _is_template(candidate)
            ):
                yield candidate


def _is_template(path: Path) -> bool:
    return "templates" in path.relative_to(ROOT).parts


def messages(paths: Iterable[str]) -> dict[str | tuple[str, ...], list[str]]:
    """msgid (a tuple (singular, plural) for ngettext) → where it occurs (« path:line »), for every
    message wrapped in the given paths."""
    found: dict[str | tuple[str, ...], list[str]] = {}
    for path in source_files(paths):
        method = "python" if path.suffix == ".py" else JINJA
        options = {} if method == "python" else JINJA_OPTIONS
        for lineno, message, _comments, _context in extract_from_file(
            method, str(path), KEYWORDS, options=options
        ):
            key = tuple(m for m in message if m) if isinstance(message, tuple) else message
            if isinstance(key, tuple) and len(key) == 1:
                key = key[0]
            if key:
                found.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    return found


def translated(language: str = "en") -> dict[str | tuple[str, ...], object]:
    """msgid → translation, over every `.po` file of the language (first file wins); plural entries
    under their (singular, plural) tuple, kept only when every form is translated."""
    table: dict[str | tuple[str, ...], object] = {}
    for path in sorted((CATALOGUE / language).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if not message.id or message.fuzzy:
                    continue
                if isinstance(message.id, tuple):
                    strings = message.string if isinstance(message.string, tuple) else (message.string,)
                    if all(strings):
                        table.setdefault(tuple(message.id), strings)
                elif message.string:
                    table.setdefault(message.id, message.string)
    return table


def missing(paths: Iterable[str], language: str = "en") -> dict[str | tuple[str, ...], list[str]]:
    """The wrapped messages of `paths` that have no translation (plurals: no complete plural entry)."""
    table = translated(language)
    return {msgid: where for msgid, where in messages(paths).items() if msgid not in table}


# --- Template text outside {{ _() }} / {% trans %} -------------------------------------------------

#: Attributes whose value people read or hear (the rest are codes, URLs, classes...).
TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "label", "data-label", "aria-roledescription"}
_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]")
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_SKIPPED_ELEMENTS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^<>]*>")
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')""")
_EXPR, _BREAK = "\x00", "\x01"


def _skeleton(source: str) -> str:
    """The template's literal text: expressions become \\x00, tags \\x01, {% trans %} blocks \\x00."""
    from jinja2 import Environment

    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexed, never rendered
    out: list[str] = []
    in_block, in_trans, name_seen = False, False, False
    for _lineno, kind, value in env.lex(source):
        if kind == "block_begin":
            in_block, name_seen = True, False
            out.append(_BREAK)
        elif kind == "block_end":
            in_block = False
        elif in_block and kind == "name" and not name_seen:
            name_seen = True
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        elif kind == "data" and not in_trans:
            out.append(value)
        elif kind == "variable_begin":
            out.append(_EXPR)
    return "".join(out)


def bare_text(source: str) -> list[str]:
    """The literal words of a template that are not wrapped for translation."""
    text = _SKIPPED_ELEMENTS.sub(_BREAK, _skeleton(source))
    found: list[str] = []
    for tag in _TAG.findall(text):
        for name, _quoted, double, single in _ATTRIBUTE.findall(tag):
            value = double or single
            if name.lower() in TEXT_ATTRIBUTES or (name.startswith("data-") and " " in value.strip()):
                found += [part.strip() for part in re.split("[\x00\x01]", value) if _LETTER.search(part)]
    text = _TAG.sub(_BREAK, text)
    text = _ENTITY.sub(" ", text)
    for chunk in re.split("[\x00\x01]", text):
        if _LETTER.search(chunk):
            found.append(" ".join(chunk.split()))
    return found


def bare(paths: Iterable[str]) -> dict[str, list[str]]:
    """path → its unwrapped template text."""
    report = {}
    for path in source_files(paths):
        if path.suffix != ".py":
            words = bare_text(path.read_text(encoding="utf-8"))
            if words:
                report[str(path.relative_to(ROOT))] = words
    return report


# --- Heuristic: French-looking Python strings outside gettext ---------------------------------------

_FRENCH = re.compile(
    r"[éèêàùçôîûÉÈÀÇ]|\b(le|la|les|des|du|une|un|vous|votre|vos|est|sont|pour|avec|sur|dans|pas|et|au|aux)\b"
)
_WRAPPERS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "N_", "pgettext"}
_QUIET_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def french_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of string constants that look French and are not wrapped (nor docstrings or logs)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skipped.add(id(body[0].value))
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name in _WRAPPERS or name in _QUIET_CALLS:
                skipped |= {id(sub) for arg in node.args for sub in ast.walk(arg)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and " " in node.value.strip()
        and _FRENCH.search(node.value)
    ]


def _place(where: str) -> tuple[str, int]:
    path, line = where.rsplit(":", 1)
    return path, int(line)


def add_missing(part: str, paths: list[str], language: str = "en") -> int:
    """Append the untranslated msgids of `paths` to `web/translations/<language>/<part>.po` (empty
    msgstr, with their places as comments); returns how many were added."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    target = CATALOGUE / language / f"{part}.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        with target.open("rb") as handle:
            catalog = read_po(handle, locale=language)
    else:
        catalog = Catalog(locale=language, project="Guichet", msgid_bugs_address="", fuzzy=False)
    added = 0
    for msgid, where in missing(paths, language).items():
        places = [_place(place) for place in where[:3]]
        if isinstance(msgid, tuple):
            present = catalog.get(msgid[0])
            if present is not None and isinstance(present.id, tuple):
                continue
            # Plain entries for the forms (an older version of this tool wrote them) become one plural
            # entry, their English kept as its forms.
            olds = [catalog.get(form) for form in msgid]
            strings = tuple(o.string if o is not None and isinstance(o.string, str) else "" for o in olds)
            for form, old in zip(msgid, olds, strict=True):
                if old is not None:
                    catalog.delete(form)
            catalog.add(msgid, strings, locations=places)
            added += 1
        elif msgid not in catalog:
            catalog.add(msgid, "", locations=places)
            added += 1
    with target.open("wb") as handle:
        write_po(handle, catalog, width=120, sort_output=False, omit_header=False, include_lineno=False)
    return added


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "add":
        print(f"{add_missing(argv[1], argv[2:])} message(s) added to web/translations/en/{argv[1]}.po")
        return 0
    if len(argv) < 2 or argv[0] not in {"missing", "bare", "python"}:
        print(__doc__)
        return 2
    command, paths = argv[0], argv[1:]
    if command == "missing":
        for msgid, where in sorted(missing(paths).items(), key=lambda item: item[1][0]):  # type: ignore[arg-type]
            print(f"{where[0]}: {msgid!r}")
    elif command == "bare":
        for path, words in bare(paths).items():
            for word in words:
                print(f"{path}: {word!r}")
    else:
        for path in source_files(paths):
            if path.suffix == ".py":
                for line, text in french_strings(path):
                    print(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
