"""A person reviews the rows of a batch CSV the model was unsure of (`digits review`): the queue, the tally and the
audit of the rows nobody would have looked at, the reviewed CSV.

The batch CSV is never changed: it is streamed (only the rows to review are held), the decisions are kept in
its journal (digits/decisions.py), and the reviewed CSV is made from the two, atomically.
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from digits.decisions import VERSION, journal_path, read_decisions
from digits.errors import DigitsError
from digits.files import sha256
from digits.output import COLUMNS, atomic_file
from digits.results import NOT_DIGIT, OK, STATUSES

NOT_A_DIGIT = "x"  # what the person types (and the journal keeps) for "this is not a digit"
REVIEWED, PERSON = "reviewed", "person"  # the reviewed CSV's status and reviewed_by of a row a person decided
ADDED = ["model_prediction", "reviewed_by"]  # the columns the reviewed CSV adds to the batch's
FLAGGED = tuple(s for s in STATUSES if s != OK)  # what is reviewed unless --only says otherwise


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


def _rows(path: Path):
    """The batch CSV's header check, then its rows as dicts; one line naming what is wrong otherwise."""
    if path.suffix.lower() in (".jsonl", ".parquet"):
        raise DigitsError(f"{path}: review reads the CSV `digits batch` writes; run it with --out preds.csv")
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
