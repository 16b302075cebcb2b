"""Find the image files under the folders and files a user names: stable order, never hangs, never crashes.

Folders are walked depth-first in sorted name order; links to folders are followed once (a loop
or a second link to the same folder is passed over); an unreadable folder is noted and passed over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from digits.files import Found, WalkStats, is_image_name, is_uri


def find_images(
    inputs: Sequence[Path | str], recursive: bool = True, stats: WalkStats | None = None
) -> Iterator[Found]:
    """The image files under `inputs` (folders, files, URIs), in input order, each folder's entries in sorted order.

    A file named directly is always included (the user asked for it), whatever its extension.
    With several inputs, names start with the folder as given, so they stay unique.
    """
    stats = stats if stats is not None else WalkStats()
    seen: set[tuple[int, int]] = set()
    for top in inputs:
        if isinstance(top, str) and top.startswith("file://"):  # a local path: walked here, safe from link loops
            top = Path(url2pathname(urlparse(top).path))
        if is_uri(top):
            from digits.remote import list_uri  # pyarrow, only when a URI is given

            yield from list_uri(top, top.rstrip("/") + "/" if len(inputs) > 1 else "", recursive, stats)
            continue
        top = Path(top)
        if top.is_dir():
            prefix = top.as_posix().rstrip("/") + "/" if len(inputs) > 1 else ""
            yield from _walk(top, prefix, recursive, stats, seen)
        else:  # a file, a broken link, or nothing at all: the classifier reports which
            yield Found(top, top.as_posix())


def _walk(folder: Path, prefix: str, recursive: bool, stats: WalkStats, seen: set[tuple[int, int]]) -> Iterator[Found]:
    try:
        info = folder.stat()
        if (info.st_dev, info.st_ino) in seen:
            stats.loops += 1
            return
        seen.add((info.st_dev, info.st_ino))
        with os.scandir(folder) as listing:
            entries = sorted((entry.name, _is_dir(entry)) for entry in listing)  # names only: ~100 bytes a file
    except OSError:
        stats.unreadable.append(folder.as_posix())
        return
    for name, is_dir in entries:
        if is_dir:
            if recursive:
                yield from _walk(folder / name, f"{prefix}{name}/", recursive, stats, seen)
        elif is_image_name(name):
            yield Found(folder / name, prefix + name)
        else:
            stats.skipped += 1


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows links; a broken link is not a folder
    except OSError:
        return False
