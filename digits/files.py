"""What the listers hand the engines: a file to read, what a walk passed over, a URI told from a path.

A leaf module (it imports nothing of digits), so the local walk (walk.py), the object-storage
listing (remote.py) and the engines all use it without importing one another.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
                              ".pdf", ".heic", ".heif"})  # documents too: PDF pages, HEIC photos (digits/documents.py)
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


@dataclass(frozen=True)
class Found:
    """One image file to classify."""

    path: Path | str  # where to open it: a local path, or a URI (digits/remote.py)
    name: str  # how the output names it: relative to the folder given, forward slashes


@dataclass
class WalkStats:
    """What the walk passed over, for the summary."""

    skipped: int = 0  # files that are not images by their extension
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    loops: int = 0  # links to folders already walked


def is_uri(name: object) -> bool:
    """True for 'scheme://...' strings (a local path, even 'C://x', is never one)."""
    return isinstance(name, str) and URI.match(name) is not None


def is_image_name(name: str) -> bool:
    """True for the image extensions we read, in any case."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def sha256(path: Path | str) -> str:
    """A file's SHA-256, read a megabyte at a time: what ties a run or a review to its model and its CSV."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
