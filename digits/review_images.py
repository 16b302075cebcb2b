"""Where the images of a batch CSV are, and the one rule for showing them: only files inside the folders the run
read (or --images), never a path that climbs out, a link out, or anything else.

By default the folders come from the run's record beside the CSV (`PREDS.csv.manifest.json`, written by
`batch`): the folder it read, the folder of its --from-list, or, for several inputs, those inputs. Rows read
from object storage are fetched through the same remote reader as `batch` (digits/engines/common.pages_of).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from digits.config import Config
from digits.documents import split_page
from digits.engines.common import pages_of
from digits.errors import DigitsError, ImageError
from digits.files import is_uri
from digits.lists import list_base
from digits.run import manifest_path, read_manifest


@dataclass(frozen=True)
class Images:
    """Where relative names are read from, and the places every name must resolve inside."""

    base: str  # a folder (real path) or a URI prefix ending in "/"
    roots: tuple[str, ...]  # real paths of folders (ending in "/") or files, or URI prefixes (ending in "/")

    def locate(self, name: str) -> str:
        """A row's `path` -> the real path or URI to open; ImageError when it leads outside the roots."""
        if is_uri(name) or is_uri(self.base):
            target = name if is_uri(name) else self.base + name
            if ".." in target.split("/"):
                raise ImageError("refused: the path climbs out of the images folder (..)")
        else:
            target = os.path.realpath(os.path.join(self.base, name))  # links followed: a link out is caught below
        if not any(target == root or (root.endswith("/") and target.startswith(root)) for root in self.roots):
            raise ImageError(f"refused: outside the images folder{'s' if len(self.roots) > 1 else ''} "
                             f"({', '.join(self.roots)})")
        return target

    def open(self, name: str, cfg: Config) -> Image.Image:
        """A row's image (a document's page when its path names one: `a.pdf#page=3`), decoded, its size checked
        first; ImageError names what is wrong (refused, missing, corrupt)."""
        file, number = split_page(name)
        page = next(pages_of(self.locate(file), cfg, number))
        if page.image is None:
            raise ImageError(page.error)
        return page.image


def _folder(place: str) -> str:
    """A root: a URI prefix or a local folder's real path, ending in "/"; a local file's real path as it is."""
    if is_uri(place):
        return place.rstrip("/") + "/"
    real = os.path.realpath(place)
    return real.rstrip("/") + "/" if os.path.isdir(real) else real


def images_for(csv_path: Path, given: str | None) -> Images:
    """--images when given, else the folders the run read, from its record beside the CSV."""
    if given:
        if not is_uri(given) and not Path(given).is_dir():
            raise DigitsError(f"--images {given}: no such folder; give the folder the batch run read")
        root = _folder(given)
        return Images(root, (root,))
    record = read_manifest(csv_path)
    if record is None:
        raise DigitsError(f"no record of the run beside {csv_path} ({manifest_path(csv_path).name}, written by "
                          "`digits batch`); give --images FOLDER")
    inputs, from_list = record["inputs"], (record.get("options") or {}).get("from_list")
    if from_list:
        root = _folder(list_base(inputs[0]))
        return Images(root, (root,))
    if len(inputs) == 1 and (is_uri(inputs[0]) or os.path.isdir(inputs[0])):
        root = _folder(inputs[0])
        return Images(root, (root,))
    cwd = record.get("cwd") or os.getcwd()  # several inputs, or a file: names are as the user gave them
    return Images(os.path.realpath(cwd), tuple(_folder(i) for i in inputs))
