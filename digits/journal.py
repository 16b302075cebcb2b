"""A run's journal: its rows, appended as they are made, so that a killed run can be finished (`batch --resume`).

It lives beside the output (`preds.csv.journal`): a header line naming what the rows were read
from (inputs, model hash, options), then one JSON array per row, in output order. Rows are flushed
every FLUSH_ROWS rows or FLUSH_SECONDS and synced to disk at least every SYNC_SECONDS, so a kill
costs at most the last few seconds of work. Since rows come in input order, the journal is always
the beginning of the output: resuming replays it and reads on from the next file (a document whose
pages were being written when the run stopped is read again, whole).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from digits.config import Config
from digits.documents import split_page
from digits.errors import DigitsError
from digits.files import sha256
from digits.reader import Reader
from digits.results import Row

VERSION = 1
FLUSH_ROWS = 256
FLUSH_SECONDS = 1.0
SYNC_SECONDS = 2.0


def journal_path(out: Path | str) -> Path:
    """Where the journal of an output file lives: beside it, its name plus `.journal`."""
    out = Path(out)
    return out.with_name(out.name + ".journal")


def fingerprint(inputs: list[str], from_list: str | None, recursive: bool, model: Path, cfg: Config, reader: Reader
                ) -> dict:
    """What a run's rows depend on: its inputs (or list), the model's bytes, the options that change rows."""
    local = lambda name: name if "://" in name else str(Path(name).absolute())
    options = {"reader": type(reader).__name__, "paper_lines": cfg.paper_lines, "max_pixels": cfg.max_pixels,
               "dpi": cfg.dpi, "max_pages": cfg.max_pages,
               "thresholds": [reader.min_confidence, cfg.not_digit_threshold], "from_list": bool(from_list)}
    return {"inputs": [local(str(i)) for i in ([from_list] if from_list else inputs)], "recursive": recursive,
            "model_sha256": sha256(model), "options": options}


def _encode(row: Row) -> str:
    return json.dumps([row.path, row.prediction, row.confidence, row.status, row.error, row.probabilities,
                       row.not_digit, row.digit_confidences], ensure_ascii=False)


def _decode(line: str) -> Row:
    path, prediction, confidence, status, error, probabilities, not_digit, digit_confidences = json.loads(line)
    tuple_or_none = lambda v: None if v is None else tuple(v)
    return Row(path, prediction, confidence, status, error, tuple_or_none(probabilities), not_digit,
               tuple_or_none(digit_confidences))


def differs(written: dict, wanted: dict) -> str:
    """What changed between two fingerprints, in words ('' when nothing)."""
    if written.get("model_sha256") != wanted["model_sha256"]:
        return "another model"
    if (written.get("inputs"), written.get("recursive")) != (wanted["inputs"], wanted["recursive"]):
        return "other inputs (" + ", ".join(written.get("inputs") or []) + ")"
    options = written.get("options") or {}
    changed = sorted(k for k in wanted["options"].keys() | options.keys() if options.get(k) != wanted["options"].get(k))
    return "other options (" + ", ".join(changed) + ")" if changed else ""


class Journal:
    """Open a journal to resume it (`resume`), or start a new one; refuses one left by another or a stopped run."""

    def __init__(self, path: Path, header: dict, resume: bool):
        self.path, self.rows = Path(path), 0
        self._good = 0  # bytes up to the end of the last whole row: a row cut by a kill is dropped
        if self.path.exists():
            if not resume:
                raise DigitsError(f"{self.path} holds the rows of a run that stopped before the end; add --resume to "
                                  "finish it, or delete it to start over")
            self._check(header)
        else:
            self._start(header)

    def _start(self, header: dict) -> None:
        try:
            with open(self.path, "w", encoding="utf-8") as f:
                f.write(json.dumps({"digits_journal": VERSION, "run": header}) + "\n")
                f.flush()
                os.fsync(f.fileno())
            self._good = self.path.stat().st_size
        except OSError as exc:
            raise DigitsError(f"cannot write {self.path}: {exc.strerror}; choose another --out") from None

    def _check(self, header: dict) -> None:
        with open(self.path, encoding="utf-8") as f:
            first = f.readline()
            try:
                written = json.loads(first)
                assert written.get("digits_journal") == VERSION
            except (ValueError, AttributeError, AssertionError):
                raise DigitsError(f"{self.path} is not a journal of this digits version; delete it to start over"
                                  ) from None
        what = differs(written["run"], header)
        if what:
            raise DigitsError(f"{self.path} was written for {what}; run as it was to resume, or delete it to start "
                              "over")

    def replay(self) -> Iterator[Row]:
        """The rows already made, in order; stops before a row a kill cut short, and before the rows of a document
        whose last page may not have been written (that document is read again)."""
        held: list[tuple[Row, int]] = []  # the rows of one file, with their lines' lengths
        with open(self.path, "rb") as f:
            self._good = len(f.readline())
            for line in f:
                if not line.endswith(b"\n"):
                    break
                try:
                    row = _decode(line.decode("utf-8"))
                except (ValueError, TypeError):
                    break
                if held and split_page(row.path)[0] != split_page(held[0][0].path)[0]:
                    yield from self._release(held)
                    held = []
                held.append((row, len(line)))
        if held and split_page(held[-1][0].path)[1] is None:  # an image's row, or a document's closing error row
            yield from self._release(held)

    def _release(self, held: list[tuple[Row, int]]) -> Iterator[Row]:
        for row, size in held:
            self._good += size
            self.rows += 1
            yield row

    def __enter__(self) -> Journal:
        os.truncate(self.path, self._good)  # a half-written last row goes; rows appended after it read whole
        self.file = open(self.path, "a", encoding="utf-8")
        self.pending, self.flushed, self.synced = 0, time.monotonic(), time.monotonic()
        return self

    def append(self, row: Row) -> None:
        self.file.write(_encode(row) + "\n")
        self.rows += 1
        self.pending += 1
        if self.pending >= FLUSH_ROWS or time.monotonic() - self.flushed >= FLUSH_SECONDS:
            self.file.flush()
            self.pending, self.flushed = 0, time.monotonic()
            if self.flushed - self.synced >= SYNC_SECONDS:
                os.fsync(self.file.fileno())
                self.synced = self.flushed

    def __exit__(self, *exc) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def remove_if_empty(self) -> None:
        """A run that read nothing leaves nothing to resume."""
        if self.rows == 0:
            self.remove()

    def remove(self) -> None:
        """The run's output is complete: the journal has done its work."""
        self.path.unlink(missing_ok=True)
