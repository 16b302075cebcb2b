"""A person reviews the rows of a batch CSV the model was unsure of (`digits review`): the queue, the decisions, the
reviewed CSV and the audit of the rows nobody would have looked at.

The batch CSV is never changed. Each decision is appended to a journal beside it (`PREDS.csv.review`: a header
line, then one JSON object per decision, flushed and synced to disk at once), so a closed tab or a killed
server loses nothing; the last decision on a row wins. The journal is locked while a review is open: a second
review of the same CSV is refused. The reviewed CSV is made from the batch CSV and the journal, atomically.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import itertools
import json
import math
import os
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from digits.errors import DigitsError
from digits.output import COLUMNS, atomic_file
from digits.results import NOT_DIGIT, OK, STATUSES

NOT_A_DIGIT = "x"  # what the person types (and the journal keeps) for "this is not a digit"
REVIEWED, PERSON = "reviewed", "person"  # the reviewed CSV's status and reviewed_by of a row a person decided
ADDED = ["model_prediction", "reviewed_by"]  # the columns the reviewed CSV adds to the batch's
FLAGGED = tuple(s for s in STATUSES if s != OK)  # what is reviewed unless --only says otherwise
BREAK_SECONDS = 120.0  # a longer gap between two decisions is a pause, not the person's pace
VERSION = 1


@dataclass(frozen=True)
class Item:
    """One row to review: where it is in the batch CSV and its values there."""

    index: int  # 0-based, data rows only
    values: dict[str, str]  # the batch CSV's cells, by column
    audit: bool = False  # an ok row mixed in by --sample-ok (the page does not say so)


@dataclass(frozen=True)
class Batch:
    """What review needs of a batch CSV: its columns, its size, the rows to review (the rest stay on disk)."""

    path: Path
    columns: list[str]
    rows: int
    statuses: Counter
    queue: list[Item]
    numbers: bool  # written by `batch --numbers`: predictions are numbers, with digit_confidences


def journal_path(csv_path: Path) -> Path:
    """Where the decisions on a batch CSV are kept: beside it, its name plus `.review`."""
    return csv_path.with_name(csv_path.name + ".review")


def _rows(path: Path):
    """The batch CSV's header check, then its rows as dicts; one line naming what is wrong otherwise."""
    try:
        stream = open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise DigitsError(f"cannot read {path}: {exc.strerror}; check the path") from None
    with stream:
        rows = csv.DictReader(stream)
        try:
            header = rows.fieldnames
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DigitsError(f"{path} is not a CSV written by `digits batch` ({exc})") from None
        if not header:
            raise DigitsError(f"{path} is empty: review the CSV that `digits batch --out` wrote")
        missing = [c for c in COLUMNS if c not in header]
        if missing or any(c in header for c in ADDED):
            said = f"no {', '.join(missing)} column" if missing else "it is already a reviewed CSV"
            raise DigitsError(f"{path} was not written by `digits batch` ({said}); review the batch's CSV")
        yield header
        try:
            for line, row in enumerate(rows, start=2):
                if row["status"] not in STATUSES:
                    raise DigitsError(f"{path}, line {line}: status {row['status']!r} is not one of "
                                      f"{', '.join(STATUSES)}; was it edited?")
                yield row
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DigitsError(f"{path}: cannot read it past line {rows.line_num} ({exc})") from None


def read_batch(path: Path, only: Sequence[str] = FLAGGED, sample_ok: int = 0, seed: int = 0) -> Batch:
    """The rows of `path` whose status is in `only`, plus `sample_ok` ok rows drawn at random (seeded), in file
    order; the CSV is streamed, so only the queue is held."""
    rows = _rows(Path(path))
    columns = next(rows)
    queue: list[Item] = []
    sample: list[Item] = []  # reservoir sampling: a uniform draw of the ok rows in one pass
    draw = random.Random(seed)
    statuses: Counter = Counter()
    for index, row in enumerate(rows):
        statuses[row["status"]] += 1
        if row["status"] in only:
            queue.append(Item(index, row))
        elif row["status"] == OK and sample_ok:
            seen = statuses[OK]
            if len(sample) < sample_ok:
                sample.append(Item(index, row, audit=True))
            elif (k := draw.randrange(seen)) < sample_ok:
                sample[k] = Item(index, row, audit=True)
    total = sum(statuses.values())
    if total == 0:
        raise DigitsError(f"{path} has a header and no rows: nothing to review")
    queue = sorted(queue + sample, key=lambda item: item.index)
    return Batch(Path(path), columns, total, statuses, queue, "digit_confidences" in columns)


def sha256(path: Path) -> str:
    """A file's SHA-256, read a megabyte at a time: what ties a journal to its CSV, and a run to its model."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_decisions(csv_path: Path) -> tuple[dict, dict[int, str]]:
    """A journal's header and its decisions (row index -> answer, the last one for each row); ({}, {}) when none.

    A line cut short by a kill is the last one, and is dropped."""
    path = journal_path(csv_path)
    if not path.exists():
        return {}, {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():  # killed before its header was written
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

    def decide(self, item: Item, answer: str) -> None:
        """Record a decision on disk before anything else happens: an answer's digits, or NOT_A_DIGIT."""
        with self.lock:  # the page answers each browser tab in a thread of its own
            self._append({"row": item.index, "path": item.values["path"], "answer": answer,
                          "t": round(time.time(), 3)})
            self.decisions[item.index] = answer
            self.times.append(time.monotonic())

    def seconds_per_row(self) -> float | None:
        """The person's pace in this session: the median gap between their last 20 decisions, pauses left out."""
        gaps = [b - a for a, b in itertools.pairwise(self.times[-21:]) if b - a < BREAK_SECONDS]
        return statistics.median(gaps) if len(gaps) >= 2 else None

    def close(self) -> None:
        self.file.close()  # and with it the lock


def read_review(path: Path, only: Sequence[str] = FLAGGED, sample_ok: int | None = None, seed: int | None = None
                ) -> tuple[Batch, dict, dict[int, str]]:
    """The batch CSV's queue, and its journal's header and decisions; the audit's size and seed are the journal's
    unless given (other ones than the review began with are refused, as is a CSV changed since)."""
    path = Path(path)
    written, decisions = read_decisions(path)
    begun = {"sample_ok": written.get("sample_ok", 0), "seed": written.get("seed", 0)}
    asked = {"sample_ok": begun["sample_ok"] if sample_ok is None else sample_ok,
             "seed": begun["seed"] if seed is None else seed}
    if written and asked != begun:
        raise DigitsError(f"the review of {path} began with --sample-ok {begun['sample_ok']} --seed {begun['seed']}; "
                          f"give the same, or move {journal_path(path)} away to start over")
    batch = read_batch(path, only, asked["sample_ok"], asked["seed"])  # first: it says what is wrong with the CSV
    header = {"version": VERSION, "csv": path.name, "csv_sha256": sha256(path), **asked}
    if written and written.get("csv_sha256") != header["csv_sha256"]:
        raise DigitsError(f"{path} changed since its review began ({journal_path(path)}); move the journal away to "
                          "start over")
    return batch, header, decisions


def model_answer(item: Item) -> str | None:
    """What the model read, as an answer: its digits, NOT_A_DIGIT for a not_digit row, None when it read nothing."""
    if item.values["status"] == NOT_DIGIT:
        return NOT_A_DIGIT
    return item.values["prediction"] or None


@dataclass(frozen=True)
class Tally:
    """What a person decided so far, and the audit of the sampled ok rows (None without --sample-ok)."""

    queue: int  # rows to review
    decided: int
    kept: int  # decided as the model read
    not_digit: int  # changed to "not a digit"
    audit: Audit | None

    @property
    def changed(self) -> int:
        return self.decided - self.kept


@dataclass(frozen=True)
class Audit:
    """The ok rows mixed into the review and what the person made of them."""

    checked: int  # sampled ok rows the person decided
    changed: int  # of those, how many the person answered differently from the model
    low: float  # the error rate's 95% interval (Wilson score)
    high: float

    @property
    def rate(self) -> float:
        return self.changed / self.checked if self.checked else 0.0


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion k/n (sound at k = 0, unlike the normal approximation)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def tally(batch: Batch, decisions: dict[int, str]) -> Tally:
    """Count the decisions on the queue: as the model read, changed, not a digit; and the audit of the ok rows."""
    mine = [item for item in batch.queue if item.index in decisions]
    same = [decisions[item.index] == model_answer(item) for item in mine]
    nots = sum(1 for item, kept in zip(mine, same, strict=True) if not kept and decisions[item.index] == NOT_A_DIGIT)
    audited = [kept for item, kept in zip(mine, same, strict=True) if item.audit]
    audit = None
    if any(item.audit for item in batch.queue):
        changed = audited.count(False)
        audit = Audit(len(audited), changed, *wilson(changed, len(audited)))
    return Tally(len(batch.queue), len(mine), sum(same), nots, audit)


def write_reviewed(batch: Batch, decisions: dict[int, str], out: Path) -> None:
    """The batch CSV with the decisions applied, written atomically to `out`."""
    columns = batch.columns + ADDED
    rows = _rows(batch.path)
    next(rows)
    with atomic_file(out) as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(columns)
        for index, row in enumerate(rows):
            row["model_prediction"], row["reviewed_by"] = row["prediction"], ""
            answer = decisions.get(index)
            if answer is not None:
                row["prediction"] = "" if answer == NOT_A_DIGIT else answer
                row["status"] = NOT_DIGIT if answer == NOT_A_DIGIT else REVIEWED
                row["reviewed_by"] = PERSON
            writer.writerow([row[c] for c in columns])
