"""Documents: every page of a PDF rendered by PDFium (pypdfium2), and HEIC/HEIF photos (pillow-heif).

Both come with the `documents` extra; without it, such a file gets one line saying how to install it.
Pages are read one at a time, each checked against the pixel limit first: a page that is one scan,
as scanners write them, is that scan's pixels; any other page is rendered at --dpi. Each is
handed on as an image (digits/images.open_pages): nothing downstream knows a page from a scan.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from digits.errors import ImageError

INSTALL = "pip install 'digits[documents]'"
PAGED = re.compile(r"^(?P<file>.*)#page=(?P<page>[1-9][0-9]*)$")  # a row's path with its page: a.pdf#page=3
TEXT, IMAGE = 1, 3  # PDFium's FPDF_PAGEOBJ_TEXT and FPDF_PAGEOBJ_IMAGE
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_pdfium = threading.Lock()  # PDFium is not thread-safe: the page and the thread pool take turns


@dataclass(frozen=True)
class Page:
    """One page of a file, decoded, or why not: a plain image is one page with no number."""

    number: int | None  # 1-based, as PDF viewers count; None for a plain image or the file as a whole
    image: Image.Image | None
    note: str  # e.g. "first of 3 frames"
    error: str  # why the page could not be read; empty when it was

    @property
    def fragment(self) -> str:
        """What a row's path adds for this page: `#page=3`, or nothing."""
        return "" if self.number is None else f"#page={self.number}"


def unread(count: int, max_pages: int) -> Page:
    """The row of a document's pages past --max-pages: reported, never dropped in silence."""
    return Page(None, None, "", f"pages {max_pages + 1:,}-{count:,} of {count:,} not read (--max-pages {max_pages:,}); "
                "raise --max-pages to read them")


def split_page(name: str) -> tuple[str, int | None]:
    """'forms/a.pdf#page=3' -> ('forms/a.pdf', 3); a name without a page -> (name, None)."""
    match = PAGED.match(name)
    return (match["file"], int(match["page"])) if match else (name, None)


def is_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]  # readers accept a little junk before the header


def is_heif(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


@functools.cache  # once per process; a missing pillow-heif raises, and so is asked again next time
def register_heif() -> None:
    """Let Pillow open HEIC/HEIF; ImageError with the install line without pillow-heif."""
    try:
        import pillow_heif
    except ImportError:
        raise ImageError(f"a HEIC/HEIF photo needs pillow-heif: {INSTALL}") from None
    pillow_heif.register_heif_opener()


def pdf_pages(source: Path | bytes, max_pixels: int, max_pages: int, dpi: int, only: int | None = None
              ) -> Iterator[Page]:
    """Each page of a PDF rendered grey at `dpi` (only page `only` when given), at most `max_pages`, then one error
    page naming the pages left unread; ImageError for a PDF that cannot be opened at all."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise ImageError(f"reading a PDF needs pypdfium2: {INSTALL}") from None
    with _pdfium:
        try:
            pdf = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise ImageError("encrypted PDF, no password: decrypt it first") from None
            raise ImageError(f"corrupt or truncated PDF ({str(exc).split('PDFium: ')[-1].rstrip(').')})") from None
        count = len(pdf)
    try:
        if count == 0:
            raise ImageError("a PDF with no pages")
        if only is not None and only > count:
            raise ImageError(f"no page {only}: the PDF has {count}")
        for number in [only] if only else range(1, min(count, max_pages) + 1):
            yield _render(pdfium, pdf, number, max_pixels, dpi)
        if only is None and count > max_pages:
            yield unread(count, max_pages)
    finally:
        with _pdfium:
            pdf.close()


def _render(pdfium, pdf, number: int, max_pixels: int, dpi: int) -> Page:
    """One page, its size checked before it is decoded: a page that is one scan is that scan's own pixels (none lost
    or made up, and no rendering), any other is rendered at `dpi`."""
    with _pdfium:
        page = pdf[number - 1]
        try:
            width, height = page.get_size()  # points, 72 an inch
            objects = list(page.get_objects(max_depth=1))
            if objects and all(obj.type == TEXT for obj in objects):  # no scan and no pen strokes: no handwriting
                return Page(number, Image.new("L", (32, 32), 255), "only typed text, no handwriting", "")
            if len(objects) == 1 and _upright_scan(page, objects[0]):  # as scanners write pages: the scan itself
                columns, rows = objects[0].get_px_size()
                if columns * rows > max_pixels:
                    return Page(number, None, "", f"a {columns}x{rows} pixel scan is above the limit of "
                                f"{max_pixels:,}; downscale it first")
                return Page(number, objects[0].get_bitmap(render=False).to_pil(), "", "")
            scale = dpi / 72
            pixels = round(width * scale) * round(height * scale)
            if pixels > max_pixels:
                return Page(number, None, "", f"a {width / 72:.1f}x{height / 72:.1f} in page at {dpi} dpi is "
                            f"{pixels:,} pixels, above the limit of {max_pixels:,}; lower --dpi")
            image = page.render(scale=scale, grayscale=True).to_pil()
        except pdfium.PdfiumError as exc:
            return Page(number, None, "", f"cannot render the page ({exc})")
        finally:
            page.close()
    return Page(number, image, "", "")



def _upright_scan(page, obj) -> bool:
    """A page that is one image drawn upright (not turned or flipped): its pixels are the page's."""
    a, b, c, d, _, _ = obj.get_matrix().get()
    return obj.type == IMAGE and page.get_rotation() == 0 and a > 0 and d > 0 and b == 0 and c == 0
