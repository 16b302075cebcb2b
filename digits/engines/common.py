"""What both engines share: the engine interface, and the load-and-read step every file goes through.

`load` opens one file and prepares it for the model; only opening and decoding may fail as the
file's own fault (an `error` row). Anything raised after that is a bug and stops the run, so it is
seen and not written as rows. `read_loaded` runs the model on a batch of loaded files and makes rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from digits.errors import ImageError
from digits.files import Found, is_uri
from digits.images import Opened, open_image
from digits.inference import Classifier
from digits.reader import Prepared, Reader
from digits.remote import read_uri
from digits.results import Row, error_row

Loaded = tuple[Prepared | None, str, str]  # (what the model sees, note, error message)


def open_source(source: Path | str, max_pixels: int) -> Opened:
    """Open one file or URI, fully decoded; ImageError names what is wrong with it (every decoder failure too)."""
    try:
        if is_uri(source):
            source = read_uri(source, max_bytes=4 * max_pixels + 1_000_000)  # an uncompressed RGBA image, and headers
        return open_image(source, max_pixels)  # decodes in full: later steps meet no lazy decoding errors
    except ImageError:
        raise
    except (OSError, ValueError, MemoryError) as exc:  # decoders fail in odd ways on hostile files
        raise ImageError(f"cannot decode image: {type(exc).__name__}: {exc}") from None


def load(source: Path | str, max_pixels: int, reader: Reader, paper_lines: bool = False) -> Loaded:
    """Open one file or URI and prepare it (`reader.prepare`); a file that cannot be opened gives its message.

    `paper_lines`: clear the lines of ruled paper and form boxes first (Config.paper_lines)."""
    try:
        opened = open_source(source, max_pixels)
    except ImageError as exc:
        return None, "", str(exc)
    with opened.image as image:
        return reader.prepare(image, paper_lines), opened.note, ""


def read_loaded(batch: Sequence[tuple[Found, Loaded]], classifier: Classifier, reader: Reader) -> list[Row]:
    """The model's part, for both engines: one Row per loaded file, its prepared images read as one batch."""
    readings = iter(reader.read([seen for _, (seen, _, _) in batch if seen is not None], classifier))
    return [error_row(f.name, error) if seen is None else reader.row(f.name, next(readings), note)
            for f, (seen, note, error) in batch]


@dataclass(frozen=True)
class Engine:
    """A way to run the job: files in, their rows out, in input order."""

    rows: Callable[[Iterable[Found]], Iterator[Row]]
    rejects: bool  # the model says "not a digit" (exported with the gate); else no row is ever not_digit

    def __call__(self, found: Iterable[Found]) -> Iterator[Row]:
        return self.rows(found)
