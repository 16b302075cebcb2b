"""Open an image file safely: specific messages for bad files, a pixel limit checked before decoding; a document's
pages (a PDF's, a multi-page TIFF's) one at a time, through the same checks."""

from __future__ import annotations

import io
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, TiffImagePlugin, UnidentifiedImageError, WebPImagePlugin  # noqa: F401 (registers them)

from digits.documents import Page, is_heif, is_pdf, pdf_pages, register_heif, unread
from digits.errors import ImageError

# Register the decoders for every extension we pick (walk.IMAGE_EXTENSIONS) at import, before `batch` forks its
# workers: otherwise each worker's first TIFF or WebP file makes Pillow import all of its ~40 plugins.
Image.preinit()
# Pillow warns of odd metadata and large sizes; our own checks below decide. A filter set once, at import: the
# page and the thread pool open images in several threads, and catch_warnings() is not thread-safe.
warnings.filterwarnings("ignore", module=r"PIL\.")


@dataclass(frozen=True)
class Opened:
    """A decoded image and what the user should know about how it was read."""

    image: Image.Image
    note: str  # e.g. "first of 3 frames"; empty when nothing to say


def _regular(path: Path) -> None:
    """ImageError unless `path` is a non-empty regular file: a pipe or a device named like an image would block."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImageError("file not found (a broken link?)") from None
    except OSError as exc:
        raise ImageError(f"cannot read the file: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ImageError("not a regular file")
    if info.st_size == 0:
        raise ImageError("empty file (0 bytes)")


def open_pages(source: Path | bytes, max_pixels: int, max_pages: int, dpi: int, only: int | None = None
               ) -> Iterator[Page]:
    """Every page of a file, decoded one at a time: a PDF's pages (rendered at `dpi`), a multi-page TIFF's frames,
    or the one image of any other file. `only`: that page alone. ImageError when the file cannot be read at all."""
    if isinstance(source, bytes):
        head = source[:1024]
    else:
        _regular(Path(source))
        try:
            with open(source, "rb") as f:
                head = f.read(1024)
        except PermissionError:
            raise ImageError("permission denied: cannot read the file") from None
        except OSError as exc:
            raise ImageError(f"cannot read the file: {exc.strerror}") from None
    if is_pdf(head):
        yield from pdf_pages(source, max_pixels, max_pages, dpi, only)
        return
    if is_heif(head):
        register_heif()
    opened = open_image(source, max_pixels)
    frames = getattr(opened.image, "n_frames", 1) if opened.image.format == "TIFF" else 1
    if frames == 1:  # a GIF's or WebP's frames are an animation: its first frame is read, and the note says so
        yield Page(None, opened.image, opened.note, "")
        return
    with opened.image as image:  # a multi-page TIFF (a scanner's, a fax's): each frame a page
        for number in [only] if only else range(1, min(frames, max_pages) + 1):
            yield _frame(image, number, frames, max_pixels)
    if only is None and frames > max_pages:
        yield unread(frames, max_pages)


def _frame(image: Image.Image, number: int, frames: int, max_pixels: int) -> Page:
    """Frame `number` (1-based) of a multi-page TIFF as a page of its own, its size checked before decoding."""
    try:
        if number > frames:
            raise ImageError(f"no page {number}: the TIFF has {frames}")
        image.seek(number - 1)
        width, height = image.size
        if width * height > max_pixels:
            raise ImageError(f"{width}x{height} pixels is above the limit of {max_pixels:,}; downscale it first")
        image.load()
        return Page(number, image.copy(), "", "")
    except ImageError as exc:
        return Page(number, None, "", str(exc))
    except (OSError, ValueError, EOFError, SyntaxError) as exc:
        return Page(number, None, "", f"corrupt or truncated page: {exc}")


def open_image(source: Path | bytes, max_pixels: int) -> Opened:
    """Decode a file, or a file's bytes, (first frame only) or raise ImageError naming what is wrong with it."""
    if isinstance(source, bytes):
        if not source:
            raise ImageError("empty file (0 bytes)")
        source = io.BytesIO(source)
    else:
        source = Path(source)
        _regular(source)
    try:
        image = Image.open(source)
        width, height = image.size
        if width * height > max_pixels:
            image.close()
            raise ImageError(f"{width}x{height} pixels is above the limit of {max_pixels:,}; downscale it first")
        frames = getattr(image, "n_frames", 1)
        if image.format == "JPEG" and image.mode == "RGB":  # preprocessing reads grey only: JPEG stores it
            image.draft("L", image.size)  # apart, so decoding it alone skips the colour conversion (~35% faster)
        image.seek(0)
        image.load()
    except ImageError:
        raise
    except PermissionError:
        raise ImageError("permission denied: cannot read the file") from None
    except Image.DecompressionBombError:  # Pillow's own hard limit, also checked from the header
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        message = f"header claims more than {limit:,} pixels (Pillow's safety limit); downscale it first"
        raise ImageError(message) from None
    except UnidentifiedImageError:
        raise ImageError("not an image Pillow can read (wrong extension, or not an image at all)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        raise ImageError(f"corrupt or truncated image: {exc}") from None
    note = f"first of {frames} frames" if frames > 1 else ""
    return Opened(image=image, note=note)
