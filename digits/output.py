"""Write results as CSV (RFC 4180) or JSON lines, atomically: the target appears complete or not at all.

The rows go to a hidden temporary file beside the target, renamed over it only at the end; an
interrupted run removes the temporary file and leaves any earlier target as it was.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from digits.errors import DigitsError
from digits.results import NOT_DIGIT, FileResult

COLUMNS = ["path", "prediction", "confidence", "status", "error"]
PROBABILITY_COLUMNS = [f"p{d}" for d in range(10)] + ["not_digit"]  # not_digit: empty when the model cannot tell
NUMBER_COLUMNS = ["digit_confidences"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record(result: FileResult, probabilities: bool, numbers: bool = False) -> dict:
    """One result as a flat row: path, prediction, confidence, status, error [, p0..p9, not_digit | digit_confidences].

    For a number, `prediction` is its digits as a string ("0070" keeps its zeros) and
    `digit_confidences` the digits' own confidences, left to right (space-separated in CSV).
    A `not_digit` row has no prediction; its `error` says how sure the model is and, for one digit, the closest
    digit (`not a digit (97%); closest digit 4`), and p0..p9 keep every digit's probability.
    """
    p = result.prediction
    read = p is not None and not p.blank and result.status != NOT_DIGIT
    number = numbers and read
    note = result.error or result.note
    if result.status == NOT_DIGIT:
        note = "; ".join(n for n in (_not_digit(p, numbers), note) if n)
    row = {
        "path": result.found.name,
        "prediction": (p.text if number else p.digit) if read else None,
        "confidence": round(p.confidence, 4) if read else None,
        "status": result.status,
        "error": note,
    }
    if numbers:
        row["digit_confidences"] = [round(d.confidence, 4) for d in p.digits] if read else None
    if probabilities:
        values = [*p.probabilities, p.not_digit] if p is not None and not p.blank else [None] * len(PROBABILITY_COLUMNS)
        for column, value in zip(PROBABILITY_COLUMNS, values, strict=True):
            row[column] = None if value is None else round(float(value), 4)
    return row


def _not_digit(p, numbers: bool) -> str:
    """What a not_digit row says: how sure, and for one digit the closest digit."""
    closest = "" if numbers else f"; closest digit {p.digit}"
    return f"not a digit ({p.not_digit:.0%}){closest}"


class RowWriter:
    """Writes rows to an open text stream as CSV (header first) or JSON lines."""

    def __init__(self, stream: TextIO, fmt: str, probabilities: bool, numbers: bool = False):
        self.stream, self.fmt, self.probabilities, self.numbers = stream, fmt, probabilities, numbers
        self.fields = COLUMNS + (PROBABILITY_COLUMNS if probabilities else []) + (NUMBER_COLUMNS if numbers else [])
        if fmt == "csv":
            self.csv = csv.DictWriter(stream, fieldnames=self.fields, lineterminator="\r\n")
            self.csv.writeheader()

    def write(self, row: dict) -> None:
        if self.fmt == "csv":
            path = row["path"]
            if path[:1] in FORMULA_STARTS:  # a spreadsheet would run `=cmd.png` as a formula; ./ names the same file
                row = {**row, "path": "./" + path}
            cell = lambda v: "" if v is None else " ".join(map(str, v)) if isinstance(v, list) else v
            self.csv.writerow({k: cell(row.get(k)) for k in self.fields})
        else:
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextmanager
def atomic_text(target: Path) -> Iterator[TextIO]:
    """A UTF-8 text stream whose content replaces `target` only when the block ends without error."""
    target = Path(target)
    _remove_orphans(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        stream = open(tmp, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise DigitsError(f"cannot write {target}: {exc.strerror}; choose another --out") from None
    in_main_thread = threading.current_thread() is threading.main_thread()  # signals can only be set there
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main_thread else None
    try:
        yield stream
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        os.replace(tmp, target)
    finally:
        stream.close()
        tmp.unlink(missing_ok=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _remove_orphans(target: Path) -> None:
    """Temporary files of runs that were killed outright (SIGKILL, power loss), whose process is gone."""
    for orphan in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = orphan.name[len(target.name) + 2 : -len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            orphan.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def output_format(out: str, fmt: str | None) -> str:
    """'csv' or 'jsonl': as asked, else from the output name (`.jsonl`), else csv."""
    if fmt:
        return fmt
    return "jsonl" if out != "-" and out.lower().endswith(".jsonl") else "csv"
