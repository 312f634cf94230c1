"""Render the first page of a PDF (stdin) as a PNG (stdout), in a process of its own, under limits.

Run by web/core/previews.py as `python -I preview_worker.py MEMORY_BYTES CPU_SECONDS WIDTH HEIGHT`:
it lowers its own limits before it reads a byte of the file — address space (RLIMIT_AS), CPU time
(RLIMIT_CPU: the kernel kills it past the limit), no core file — so a hostile PDF (a page drawing a
gigantic image, thousands of pages, a loop in the content) can exhaust only this process, never the
web process. It imports nothing of Guichet (run by path, in isolated mode). Exit 0 with the PNG on
stdout; 3 when the file has no page to show; anything else (a crash, MemoryError, killed) is « no
preview » for the caller.
"""

from __future__ import annotations

import io
import resource
import sys


def limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def render(content: bytes, width: int, height: int) -> bytes | None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(content)
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        page_width, page_height = page.get_size()
        if page_width <= 0 or page_height <= 0:
            return None
        scale = min(width / page_width, height / page_height, 2.0)
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def main(argv: list[str]) -> int:
    memory_bytes, cpu_seconds, width, height = (int(value) for value in argv[1:5])
    limit(memory_bytes, cpu_seconds)
    png = render(sys.stdin.buffer.read(), width, height)
    if png is None:
        return 3
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
