"""What both engines share: the engine interface, and the load-and-read step every file goes through.

`load` opens one file and prepares each of its pages for the model (a plain image is one page, a
PDF or a multi-page TIFF several); only opening and decoding may fail as the file's own fault (an
`error` row). Anything raised after that is a bug and stops the run, so it is
seen and not written as rows. `read_loaded` runs the model on a batch of loaded files and makes rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from digits.config import Config
from digits.documents import Page
from digits.errors import ImageError
from digits.files import Found, is_uri
from digits.images import open_pages
from digits.inference import Classifier
from digits.reader import Prepared, Reader
from digits.remote import read_uri
from digits.results import Row, error_row

Loaded = tuple[str, Prepared | None, str, str]  # (page fragment, "" or "#page=3"; what the model sees; note; error)


def pages_of(source: Path | str, cfg: Config, only: int | None = None) -> Iterator[Page]:
    """A file's or URI's pages, decoded one at a time (only page `only` when given); what cannot be read is an error
    page, after the pages that could (every decoder failure too)."""
    try:
        if is_uri(source):
            source = read_uri(source, max_bytes=4 * cfg.max_pixels + 1_000_000)  # an uncompressed RGBA image
        yield from open_pages(source, cfg.max_pixels, cfg.max_pages, cfg.dpi, only)  # each decoded in full
    except ImageError as exc:
        yield Page(None, None, "", str(exc))
    except (OSError, ValueError, MemoryError) as exc:  # decoders fail in odd ways on hostile files
        yield Page(None, None, "", f"cannot decode image: {type(exc).__name__}: {exc}")


def load(source: Path | str, cfg: Config, reader: Reader, only: int | None = None) -> list[Loaded]:
    """Open one file or URI and prepare each of its pages (`reader.prepare`), one page in memory at a time; what
    cannot be opened gives its message. `cfg`: the limits (max_pixels, max_pages, dpi) and paper_lines."""
    loaded = []
    for page in pages_of(source, cfg, only):
        if page.image is None:
            loaded.append((page.fragment, None, "", page.error))
            continue
        with page.image as image:
            loaded.append((page.fragment, reader.prepare(image, cfg.paper_lines), page.note, ""))
    return loaded


def read_loaded(batch: Sequence[tuple[Found, list[Loaded]]], classifier: Classifier, reader: Reader) -> list[Row]:
    """The model's part, for both engines: one Row per page of each loaded file, all read as one batch."""
    pages = [(f.name + fragment, seen, note, error) for f, loaded in batch for fragment, seen, note, error in loaded]
    readings = iter(reader.read([seen for _, seen, _, _ in pages if seen is not None], classifier))
    return [error_row(name, error) if seen is None else reader.row(name, next(readings), note)
            for name, seen, note, error in pages]


@dataclass(frozen=True)
class Engine:
    """A way to run the job: files in, their rows out, in input order."""

    rows: Callable[[Iterable[Found]], Iterator[Row]]
    rejects: bool  # the model says "not a digit" (exported with the gate); else no row is ever not_digit

    def __call__(self, found: Iterable[Found]) -> Iterator[Row]:
        return self.rows(found)
