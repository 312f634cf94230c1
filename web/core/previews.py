"""In-page previews of documents, made on the server: a PDF's first page or an image, as a small PNG.

PDFs are rendered with PDFium (pypdfium2) at a scale that bounds the bitmap whatever page size the
file declares, one at a time (PDFium is not thread-safe); images are opened by Pillow only when
their declared size is under PREVIEW_MAX_PIXELS (a decompression bomb is refused before any pixel
is decoded). A file that cannot be previewed gives None: the page then offers the download only.
"""

from __future__ import annotations

import functools
import io
import logging
import threading

from flask import current_app

log = logging.getLogger(__name__)

PDF = "application/pdf"
WIDTH = 600
HEIGHT = 850
DEFAULT_MAX_PIXELS = 40_000_000
#: PDFium is not thread-safe (pypdfium2's documentation): one render at a time per process.
_PDFIUM = threading.Lock()


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
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(content)
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            return None
        scale = min(WIDTH / width, HEIGHT / height, 2.0)
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


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
            with _PDFIUM:
                return _pdf_first_page(content)
        return _image(content)
    except Exception:  # a damaged file: no preview, the download remains
        log.warning("No preview for a %s of %s bytes", mime, len(content), exc_info=True)
        return None


@functools.cache
def unavailable_png() -> bytes:
    """What a page shows where a document's preview cannot be drawn (a damaged or unusual file): a
    small image that says so, rather than a broken image; the document itself stays downloadable."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (360, 90), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 359, 89), outline="#767676")
    font = ImageFont.load_default(size=17)
    # Pillow's own font has no accented letters: a wording without them.
    draw.text((16, 20), "Document non affichable ici :", fill="#1e1e1e", font=font)
    draw.text((16, 48), "ouvrez-le avec son lien.", fill="#1e1e1e", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
