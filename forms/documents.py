"""A reusable document field: PDF, JPEG or PNG, checked by content, size capped by configuration.

Any task form may ask for a document:

    class MyForm(DocumentFormMixin, TaskForm):
        piece = DocumentField("Pièce justificative", required=True)
        autres = DocumentField("Autres pièces", multiple=True)

The field's validator reads the upload, checks it (magic bytes, then that it parses as what it
claims) and leaves the checked files in `field.documents`; the web layer stores them in the
`document` table with the task completion (web/documents/services.py) and puts their metadata in
the task data under the field's name. The bytes never reach the workflow.

A family may also pick a document of its store (« Choisir dans mes documents ») instead of uploading
one, or keep an uploaded one there: the web layer registers a `DocumentStore` in
`app.extensions[STORE_EXTENSION]` (web/coffre/choice.py), which the validator asks. Forms know
nothing else of the store, so every DocumentField (coded or data-defined) gets both for free.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import Field
from wtforms.validators import ValidationError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
CHOOSE_AGAIN = _l(
    "Le navigateur ne peut pas garder un fichier choisi : choisissez-le à nouveau avant d'envoyer."
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
DEFAULT_MAX_PIXELS = 40_000_000
#: A PDF whose compressed streams would inflate beyond this is refused (a « zip bomb » in a PDF).
MAX_PDF_INFLATED = 256 * 1024 * 1024
_STREAM = re.compile(rb"stream\r?\n")
STORE_EXTENSION = "guichet_document_store"


@dataclass(frozen=True)
class CheckedFile:
    """An upload whose content was recognised."""

    filename: str
    mime: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def sniff(content: bytes) -> str | None:
    """PDF, JPEG or PNG from the first bytes; the name and the browser's Content-Type are never trusted."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def parses_as(content: bytes, mime: str) -> bool:
    """Whether the content is complete enough to be what its first bytes claim."""
    if mime == PDF:
        return b"%%EOF" in content[-2048:] and b"startxref" in content[-4096:]
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the captcha package
        return True
    try:
        with Image.open(io.BytesIO(content)) as image:
            if Image.MIME.get(image.format or "") != mime:
                return False
            image.verify()
    except Exception:
        return False
    return True


def safe_filename(name: str, mime: str) -> str:
    """The file's name without path, accents or odd characters, with the extension of its content."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" ._-")[:100] or "document"
    return f"{stem}.{EXTENSIONS[mime]}"


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES))


def size_text(size: int, *, tenths: bool = False) -> str:
    """« 89 octets », « 12 Ko », « 5 Mo » (or « 1,5 Mo » with `tenths`), in the page's language."""
    if size < 1024:
        return ngettext("%(num)d octet", "%(num)d octets", size)
    mib = size / (1024 * 1024)
    if mib < 1:
        return _("%(size)s Ko", size=size // 1024)
    return _("%(size)s Mo", size=format_decimal(round(mib, 1), format="0.0" if tenths else "0.#"))


def _size_text(size: int) -> str:
    return size_text(size)


def _inflates_too_much(content: bytes, limit: int) -> bool:
    """Whether the PDF's deflated streams, inflated in bounded chunks, exceed `limit` bytes in all."""
    total = 0
    for match in _STREAM.finditer(content):
        inflater = zlib.decompressobj()
        data: bytes | memoryview = memoryview(content)[match.end() :]
        while data:
            try:
                chunk = inflater.decompress(data, 1024 * 1024)
            except zlib.error:
                break  # not a deflated stream (an image, or plain text): nothing to inflate
            total += len(chunk)
            if total > limit:
                return True
            data = inflater.unconsumed_tail
            if not chunk:
                break
    return False


def _too_many_pixels(content: bytes) -> bool:
    """A decompression bomb: an image whose header declares more pixels than allowed (nothing decoded)."""
    from PIL import Image

    limit = int(current_app.config.get("PREVIEW_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        return True
    except Exception:
        return False  # parses_as says it is damaged
    return width * height > limit


class DocumentStore(Protocol):
    """What the web layer offers document fields: the family's chosen documents, and keeping uploads."""

    def chosen(self, field: Field) -> list[CheckedFile]:
        """The stored documents picked for this field (raises ValidationError: expired, unknown)."""
        ...  # pragma: no cover - protocol

    def keep(self, field: Field, files: list[CheckedFile]) -> None:
        """Add the uploaded files to the family's store when it asked to keep them."""
        ...  # pragma: no cover - protocol


def _store() -> DocumentStore | None:
    return current_app.extensions.get(STORE_EXTENSION)  # type: ignore[no-any-return]


def check_upload(storage: Any, max_bytes: int) -> CheckedFile:
    """Read and check one upload; raises ValidationError with a French message naming the file."""
    original = getattr(storage, "filename", "") or _("sans nom")
    shown = original.replace("\\", "/").rsplit("/", 1)[-1][:80]
    content = storage.read(max_bytes + 1)
    storage.seek(0)
    if not content:
        raise ValidationError(_("Le fichier « %(name)s » est vide. Choisissez un autre fichier.", name=shown))
    if len(content) > max_bytes:
        raise ValidationError(
            _(
                "Le fichier « %(name)s » dépasse la taille maximale de %(size)s. "
                "Réduisez-le (par exemple en le numérisant en noir et blanc) et choisissez-le à nouveau.",
                name=shown,
                size=_size_text(max_bytes),
            )
        )
    mime = sniff(content)
    if mime is None:
        raise ValidationError(
            _(
                "Le fichier « %(name)s » n'est ni un PDF, ni une image JPEG ou PNG : son contenu n'a pas "
                "été reconnu. Choisissez un fichier PDF, JPEG ou PNG.",
                name=shown,
            )
        )
    if mime == PDF and _inflates_too_much(content, MAX_PDF_INFLATED):
        raise ValidationError(
            _(
                "Le fichier « %(name)s » contient des données compressées démesurées : il ne peut pas être "
                "ouvert sans risque. Enregistrez de nouveau le document en PDF (par exemple avec « Imprimer "
                "en PDF ») et choisissez-le à nouveau.",
                name=shown,
            )
        )
    if mime != PDF and _too_many_pixels(content):
        raise ValidationError(
            _(
                "L'image « %(name)s » annonce des dimensions démesurées : elle ne peut pas être ouverte "
                "sans risque. Enregistrez-la à une taille normale (par exemple une photo de moins de "
                "40 mégapixels).",
                name=shown,
            )
        )
    if not parses_as(content, mime):
        kind = "PDF" if mime == PDF else _("image %(format)s", format="JPEG" if mime == JPEG else "PNG")
        raise ValidationError(
            _(
                "Le fichier « %(name)s » semble endommagé ou incomplet : il ne se lit pas comme un %(kind)s. "
                "Choisissez-le à nouveau ou envoyez-en une autre copie.",
                name=shown,
                kind=kind,
            )
        )
    return CheckedFile(safe_filename(original, mime), mime, content)


class DocumentUpload:
    """Validator of DocumentField: every chosen file is checked; `required` wants at least one."""

    def __init__(self, required: bool = False, message: str | None = None) -> None:
        self.required = required
        self.message = message
        self.field_flags = {"required": True, "document": True} if required else {"document": True}

    def __call__(self, form: Any, field: Field) -> None:
        field.documents = []
        uploads = field.data if isinstance(field.data, list) else [field.data]
        chosen = [u for u in uploads if u is not None and getattr(u, "filename", "")]
        store = _store()
        if not chosen:
            field.documents = store.chosen(field) if store else []
            if not field.documents and self.required:
                raise ValidationError(
                    self.message or _("Joignez un fichier : %(label)s.", label=field.label.text)
                )
            return
        limit = max_upload_bytes()
        field.documents = [check_upload(upload, limit) for upload in chosen]
        if store:
            store.keep(field, field.documents)


def _render_kw(multiple: bool) -> dict[str, Any]:
    kw: dict[str, Any] = {"accept": ACCEPT}
    if multiple:
        kw["multiple"] = True
    return kw


def DocumentField(  # noqa: N802 - reads like a field class in form declarations
    label: str,
    *,
    required: bool = False,
    multiple: bool = False,
    message: str | None = None,
    description: str | None = None,
) -> Field:
    """A file input for one document (or several with `multiple`): PDF, JPEG or PNG."""
    hint = description or _l("Formats acceptés : PDF, JPEG ou PNG.")
    field_class = MultipleFileField if multiple else FileField
    return field_class(  # type: ignore[no-any-return]
        label,
        validators=[DocumentUpload(required, message)],
        render_kw=_render_kw(multiple),
        description=hint,
    )


def document_fields(form: Any) -> list[Field]:
    return [field for field in form if any(isinstance(v, DocumentUpload) for v in field.validators)]


class DocumentFormMixin:
    """For task forms with document fields: multipart, files kept out of the engine data, and a
    note on each chosen file when the form comes back with errors (browsers cannot refill it)."""

    multipart = True

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)  # type: ignore[misc]
        if not valid:
            for field in document_fields(self):
                if getattr(field, "documents", None) and not field.errors:
                    # A hint, not an error: the file was fine, only the browser forgets it.
                    names = ", ".join(f"« {checked.filename} »" for checked in field.documents)
                    read = _("Fichier lu : %(names)s.", names=names)
                    field.description = f"{read} {CHOOSE_AGAIN} {field.description}"
        return valid

    def to_engine_data(self) -> dict[str, Any]:
        data: dict[str, Any] = super().to_engine_data()  # type: ignore[misc]
        for field in document_fields(self):
            data.pop(field.name, None)
        return data
