"""In-page previews of documents, made on the server: a PDF's first page or an image, as a small PNG.

PDFs are rendered with PDFium (pypdfium2) at a scale that bounds the bitmap whatever page size the
file declares, in a subprocess of their own (web/core/preview_worker.py) that lowers its address
space (PREVIEW_MEMORY_MB), CPU time (PREVIEW_CPU_SECONDS) and is killed after a wall-clock timeout:
a hostile PDF exhausts that process, never the web process; at most PREVIEW_PROCESSES renders run
at once per web process. Images are opened by Pillow only when
their declared size is under PREVIEW_MAX_PIXELS (a decompression bomb is refused before any pixel
is decoded). A file that cannot be previewed gives None: the page then offers the download only.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

PDF = "application/pdf"
WIDTH = 600
HEIGHT = 850
DEFAULT_MAX_PIXELS = 40_000_000
WORKER = Path(__file__).with_name("preview_worker.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RENDERS: dict[int, threading.BoundedSemaphore] = {}
_RENDERS_LOCK = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    """The renders this web process may run at once (PREVIEW_PROCESSES)."""
    count = int(current_app.config.get("PREVIEW_PROCESSES", 2))
    with _RENDERS_LOCK:
        return _RENDERS.setdefault(count, threading.BoundedSemaphore(count))


def max_pixels() -> int:
    return int(current_app.config.get("PREVIEW_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def image_too_large(content: bytes, limit: int) -> bool:
    """Whether an image declares more pixels than `limit` (read from its header only)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        return True
    except Exception:
        return False  # not an image Pillow reads: the content checks say so
    return width * height > limit


def _pdf_first_page(content: bytes) -> bytes | None:
    """The first page rendered by preview_worker.py under its limits; None if it failed or was killed."""
    config = current_app.config
    memory = int(config.get("PREVIEW_MEMORY_MB", 512)) * 1024 * 1024
    cpu = int(config.get("PREVIEW_CPU_SECONDS", 5))
    command = [sys.executable, "-I", str(WORKER), str(memory), str(cpu), str(WIDTH), str(HEIGHT)]
    with _slots():
        try:
            done = subprocess.run(  # noqa: S603 (our interpreter and our script, numbers as arguments)
                command,
                input=content,
                capture_output=True,
                timeout=2 * cpu + 5,
                check=False,
                env={"PATH": os.environ.get("PATH", "")},
            )
        except subprocess.TimeoutExpired:
            log.warning("PDF preview killed after %s s (%s bytes)", 2 * cpu + 5, len(content))
            return None
    if done.returncode != 0 or not done.stdout.startswith(PNG_SIGNATURE):
        if done.returncode != 3:
            log.warning(
                "No PDF preview (%s bytes): worker exit %s, %s",
                len(content),
                done.returncode,
                done.stderr.decode(errors="replace")[-300:].strip(),
            )
        return None
    return done.stdout


def _image(content: bytes) -> bytes | None:
    from PIL import Image, ImageOps

    if image_too_large(content, max_pixels()):
        return None
    with Image.open(io.BytesIO(content)) as image:
        image.draft("RGB", (WIDTH, HEIGHT))  # JPEG: decode at a reduced scale
        image = ImageOps.exif_transpose(image)
        image.thumbnail((WIDTH, HEIGHT))
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=True)
        return out.getvalue()


def preview_png(content: bytes, mime: str) -> bytes | None:
    """A PNG of at most 600x850 pixels showing the document, or None when it cannot be made."""
    try:
        if mime == PDF:
            return _pdf_first_page(content)
        return _image(content)
    except Exception:  # a damaged file: no preview, the download remains
        log.warning("No preview for a %s of %s bytes", mime, len(content), exc_info=True)
        return None


def unavailable_png() -> bytes:
    """What a page shows where a document's preview cannot be drawn (a damaged or unusual file): a
    small image that says so, in the page's language, rather than a broken image; the document
    itself stays downloadable."""
    from .i18n import _

    # Pillow's own font has no accented letters: wordings without them (the English too).
    return _unavailable_png(_("Document non affichable ici :"), _("ouvrez-le avec son lien."))


@functools.cache
def _unavailable_png(first_line: str, second_line: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (360, 90), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 359, 89), outline="#767676")
    font = ImageFont.load_default(size=17)
    draw.text((16, 20), first_line, fill="#1e1e1e", font=font)
    draw.text((16, 48), second_line, fill="#1e1e1e", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
