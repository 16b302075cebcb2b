"""The journal of a person's decisions on a batch CSV (`digits review`): `PREDS.csv.review`, beside the CSV.

A header line (the CSV's SHA-256, the audit's size and seed), then one JSON object per decision,
appended, flushed and synced to disk at once, so a closed tab or a killed server loses nothing; the
last decision on a row wins. The journal is locked while a review is open: a second review of the
same CSV is refused. A line cut by a kill is dropped.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import statistics
import threading
import time
from pathlib import Path

from digits.errors import DigitsError

VERSION = 1  # of the journal's layout, in its header
BREAK_SECONDS = 120.0  # a longer gap between two decisions is a pause, not the person's pace


def journal_path(csv_path: Path) -> Path:
    """Where the decisions on a batch CSV are kept: beside it, its name plus `.review`."""
    return csv_path.with_name(csv_path.name + ".review")


def read_decisions(csv_path: Path) -> tuple[dict, dict[int, str]]:
    """A journal's header and its decisions (row index -> answer, the last one for each row); ({}, {}) when none.

    A line cut short by a kill is the last one, and is dropped."""
    path = journal_path(csv_path)
    if not path.exists():
        return {}, {}
    text = path.read_text(encoding="utf-8")
    if "\n" not in text:  # killed before its header was written in full
        return {}, {}
    lines = text.split("\n")
    try:
        header = json.loads(lines[0])
        decisions = {}
        for n, line in enumerate(lines[1:], start=2):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if n >= len(lines) - 1:  # the cut last line (or the empty string after the last newline)
                    break
                raise
            decisions[entry["row"]] = entry["answer"]
    except (json.JSONDecodeError, KeyError, TypeError, IndexError):
        raise DigitsError(f"{path} is damaged (not a review journal); move it away to start the review over"
                          ) from None
    return header, decisions


class Journal:
    """The decisions on one batch CSV, held open and locked while a review runs."""

    def __init__(self, csv_path: Path, header: dict):
        self.path = journal_path(csv_path)
        try:
            self.file = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise DigitsError(f"cannot write {self.path}: {exc.strerror}; review a copy of the CSV in a folder "
                              "you can write to") from None
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise DigitsError(f"{csv_path} is being reviewed already (another `digits review` holds "
                              f"{self.path}); use that page, or stop it first") from None
        written, self.decisions = read_decisions(csv_path)  # read under the lock
        kept = self.path.read_bytes().rfind(b"\n") + 1
        os.truncate(self.path, kept)  # a line cut by a kill goes: the next decision starts a line of its own
        if not written:
            self._append(header)
        self.times: list[float] = []
        self.lock = threading.Lock()

    def _append(self, entry: dict) -> None:
        self.file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def decide(self, row: int, path: str, answer: str) -> None:
        """Record a decision on the CSV's `row` (0-based; `path` to read the journal by) on disk, before anything
        else happens: an answer's digits, or "x" for not a digit."""
        with self.lock:  # the page answers each browser tab in a thread of its own
            self._append({"row": row, "path": path, "answer": answer, "t": round(time.time(), 3)})
            self.decisions[row] = answer
            self.times.append(time.monotonic())

    def seconds_per_row(self) -> float | None:
        """The person's pace in this session: the median gap between their last 20 decisions, pauses left out."""
        gaps = [b - a for a, b in itertools.pairwise(self.times[-21:]) if b - a < BREAK_SECONDS]
        return statistics.median(gaps) if len(gaps) >= 2 else None

    def close(self) -> None:
        self.file.close()  # and with it the lock
