"""Open an image file safely: specific messages for bad files, a pixel limit checked before decoding."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from digits.errors import ImageError

Image.MAX_IMAGE_PIXELS = None  # our own limit below is checked from the header, before any decoding


@dataclass(frozen=True)
class Opened:
    """A decoded image and what the user should know about how it was read."""

    image: Image.Image
    note: str  # e.g. "first of 3 frames"; empty when nothing to say


def open_image(path: Path, max_pixels: int) -> Opened:
    """Decode `path` (first frame only) or raise ImageError naming what is wrong with it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageError("file not found (a broken link?)") from None
    except PermissionError:
        raise ImageError("permission denied: cannot read the file") from None
    if size == 0:
        raise ImageError("empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns on odd metadata; the decode result is what matters
            image = Image.open(path)
            width, height = image.size
            if width * height > max_pixels:
                image.close()
                raise ImageError(f"{width}x{height} pixels is above the limit of {max_pixels:,}; downscale it first")
            frames = getattr(image, "n_frames", 1)
            image.seek(0)
            image.load()
    except ImageError:
        raise
    except PermissionError:
        raise ImageError("permission denied: cannot read the file") from None
    except UnidentifiedImageError:
        raise ImageError("not an image Pillow can read (wrong extension, or not an image at all)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        raise ImageError(f"corrupt or truncated image: {exc}") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image too large to decode safely: {exc}") from None
    note = f"first of {frames} frames" if frames > 1 else ""
    return Opened(image=image, note=note)
