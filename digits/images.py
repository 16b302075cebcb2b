"""Open an image file safely: specific messages for bad files, a pixel limit checked before decoding."""

from __future__ import annotations

import io
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, TiffImagePlugin, UnidentifiedImageError, WebPImagePlugin  # noqa: F401 (registers them)

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


def open_image(source: Path | bytes, max_pixels: int) -> Opened:
    """Decode a file, or a file's bytes, (first frame only) or raise ImageError naming what is wrong with it."""
    if isinstance(source, bytes):
        if not source:
            raise ImageError("empty file (0 bytes)")
        source = io.BytesIO(source)
    else:
        source = Path(source)
        try:
            info = source.stat()
        except FileNotFoundError:
            raise ImageError("file not found (a broken link?)") from None
        except OSError as exc:
            raise ImageError(f"cannot read the file: {exc.strerror}") from None
        if not stat.S_ISREG(info.st_mode):  # a pipe or device named like an image would block the reader
            raise ImageError("not a regular file")
        if info.st_size == 0:
            raise ImageError("empty file (0 bytes)")
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
