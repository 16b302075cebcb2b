"""Classify image files: open each safely, preprocess, run the model in batches, one result per file.

A file that cannot be read becomes a result with status "error" and a specific message; it never
stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from digits.config import Config
from digits.errors import ImageError
from digits.images import open_image
from digits.inference import Classifier, Prediction
from digits.preprocess import Preprocessed, preprocess

OK, BLANK, ERROR = "ok", "blank", "error"


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file."""

    path: Path
    status: str  # "ok", "blank" or "error"
    prediction: Prediction | None  # None on error
    error: str = ""  # what went wrong, for status "error"
    note: str = ""  # e.g. "first of 3 frames"


def _load(path: Path, cfg: Config) -> tuple[Preprocessed | None, str, str]:
    """(what the model sees, note, error message) for one file."""
    try:
        opened = open_image(path, cfg.max_pixels)
        with opened.image:
            return preprocess(opened.image), opened.note, ""
    except ImageError as exc:
        return None, "", str(exc)
    except (OSError, ValueError) as exc:  # decoders fail lazily in odd ways on hostile files
        return None, "", f"cannot decode image: {exc}"


def classify_files(paths: Iterable[Path], classifier: Classifier, cfg: Config = Config()) -> Iterator[FileResult]:
    """One FileResult per path, in input order, running the model once per `cfg.batch` files."""
    paths = iter(paths)
    while chunk := list(islice(paths, cfg.batch)):
        loaded = [_load(path, cfg) for path in chunk]
        readable = [seen for seen, _, _ in loaded if seen is not None]
        predictions = iter(classifier.classify(readable))
        for path, (seen, note, error) in zip(chunk, loaded):
            if seen is None:
                yield FileResult(path, ERROR, None, error=error)
                continue
            prediction = next(predictions)
            yield FileResult(path, BLANK if prediction.blank else OK, prediction, note=note)
