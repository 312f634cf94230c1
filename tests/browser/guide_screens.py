"""Screenshots for the user guide (docs/guide-famille.md).

Every shot goes to test-artifacts/ like the others; with GUICHET_DOC_SCREENSHOTS=1 it is also written
to docs/images/<name>.png (1000 px wide viewport), the files the guide embeds:

    GUICHET_DOC_SCREENSHOTS=1 .venv/bin/pytest -q tests/browser/test_guide_famille.py
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.fixtures.browser import screenshot, watch

DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
VIEWPORT = {"width": 1000, "height": 720}


def doc_screenshot(page: Any, name: str) -> Path:
    """test-artifacts/<name>.png always; docs/images/<name>.png too when GUICHET_DOC_SCREENSHOTS=1."""
    path = screenshot(page, name)
    if os.environ.get("GUICHET_DOC_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        _save_small(page.screenshot(full_page=True), DOC_IMAGES / f"{name}.png")
    return path


def _save_small(png: bytes, target: Path) -> None:
    """A 256-colour palette PNG: a third of the size, no visible loss on these flat pages."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def guide_tab(browser: Any, live_server: str) -> Iterator[Any]:
    """A tab 1000 px wide like the guide's images, in its own context; off-machine requests fail the test."""
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=VIEWPORT)
    tab = context.new_page()
    problems = watch(tab)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems
