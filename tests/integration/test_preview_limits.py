"""PDF previews run in a subprocess under limits (web/core/preview_worker.py): a hostile PDF exhausts
that process, never the web process. The hostile files are built in memory in milliseconds: a
content stream that inflates to 1 GB from a 1 MB file (PDFium inflates a page's content whole), a
content stream of millions of drawing operators, 20 000 pages of the largest page size."""

from __future__ import annotations

import io
import logging
import resource
import zlib

from PIL import Image

from web.core.previews import preview_png

PDF = "application/pdf"


def pdf(objects: list[bytes]) -> bytes:
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def deflate_repeated(chunk: bytes, times: int) -> bytes:
    """A zlib stream of `chunk` repeated `times` times, built from one compression: full-flushed blocks
    refer to nothing before them, so they can be repeated as they are; then an empty final block."""
    compressor = zlib.compressobj(9)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(times):
        checksum = zlib.adler32(chunk, checksum)
    return first[:2] + first[2:] * times + b"\x03\x00" + checksum.to_bytes(4, "big")


def one_page(content: bytes) -> bytes:
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 850] /Contents 4 0 R >>",
            f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode()
            + content
            + b"\nendstream",
        ]
    )


def many_pages(count: int) -> bytes:
    kids = " ".join(f"{4 + n} 0 R" for n in range(count))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /UserUnit 75000 /Contents 3 0 R >>"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
            b"<< /Length 0 >>\nstream\n\nendstream",
            *[page] * count,
        ]
    )


def size_of(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_an_ordinary_pdf_and_twenty_thousand_giant_pages_get_a_bounded_preview(app):
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (90, 90, 200)).save(out, format="PDF")
    giant = many_pages(20_000)
    with app.app_context():
        ordinary = preview_png(out.getvalue(), PDF)
        first = preview_png(giant, PDF)
    assert ordinary is not None
    assert size_of(ordinary)[0] <= 600
    assert first is not None
    assert size_of(first) == (600, 600)  # 14 400 pt × UserUnit, square: scaled to the box


def test_a_pdf_inflating_to_a_gigabyte_costs_the_web_process_nothing(app, caplog):
    bomb = one_page(deflate_repeated(b"q Q " * 262_144, 1024))  # 1 GB of operators
    assert len(bomb) < 1_200_000
    app.config["PREVIEW_MEMORY_MB"] = 256
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with app.app_context(), caplog.at_level(logging.WARNING, logger="web.core.previews"):
            assert preview_png(bomb, PDF) is None  # the worker ran out of its address space
    finally:
        app.config["PREVIEW_MEMORY_MB"] = 512
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100  # rendered here, it took 2 GB (measured: docs/security.md)
    assert "No PDF preview" in caplog.text
    assert "worker exit -24" not in caplog.text  # memory, not CPU, stopped it


def test_a_pdf_that_keeps_the_cpu_busy_is_killed_at_its_cpu_limit(app, caplog):
    # 1 MB of full-page fills: over a minute of CPU (measured), about 100 MB of memory.
    drawing = one_page(deflate_repeated(b"0 0 600 850 re f\n" * 61_681, 1))
    app.config["PREVIEW_CPU_SECONDS"] = 1
    try:
        with app.app_context(), caplog.at_level(logging.WARNING, logger="web.core.previews"):
            assert preview_png(drawing, PDF) is None
    finally:
        app.config["PREVIEW_CPU_SECONDS"] = 5
    # Killed by the kernel at 1 s of CPU (SIGXCPU), or by the wall-clock timeout on a loaded machine.
    assert "worker exit -24" in caplog.text or "killed after 7 s" in caplog.text, caplog.text
