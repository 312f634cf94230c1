"""Spreadsheet downloads shared by the back offices (queues, activities): CSV and ODS, streamed.

CSV: UTF-8 with a BOM (Excel then reads the accents right), `;` separator (French Excel), French
headers, dates in Paris time, and cells that a spreadsheet would take for a formula (starting with
= + - @, a tab or a carriage return) prefixed with an apostrophe (OWASP « CSV injection »).
ODS: written on the fly by `stream-write-ods` (a ZIP streamed by `stream-zip`), dates as real
date cells in Paris time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Response, stream_with_context
from stream_write_ods import stream_write_ods

from web.core.presentation import PARIS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold (ODS content is XML).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def local(value: datetime | None) -> datetime | None:
    """Paris wall-clock time without offset (what a spreadsheet shows)."""
    return value.astimezone(PARIS).replace(tzinfo=None) if value else None


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return neutralise(str(value))


def stream_csv(headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """UTF-8 with BOM, `;`-separated, 200 rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if count % 200 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _ods_cell(value: Any) -> Any:
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    return value


def stream_ods(sheet: str, headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    cleaned = ([_ods_cell(value) for value in row] for row in rows)
    yield from stream_write_ods(((sheet, list(headers), cleaned),))


def download(chunks: Iterator[bytes], filename: str, fmt: str) -> Response:
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.oasis.opendocument.spreadsheet"
    return Response(
        stream_with_context(chunks),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )
