"""A batch run: list the inputs, let an engine read them, hand each row to the writer (and the journal), count.

The engines (digits/engines/) make rows; this module is where a run begins and ends, whichever
engine runs it. With a journal (digits/journal.py) the rows already made by a killed run are
replayed first, and the engine reads on from the first file not yet done.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digits.documents import split_page
from digits.engines.common import Engine
from digits.errors import DigitsError
from digits.files import IMAGE_EXTENSIONS, Found, WalkStats
from digits.journal import Journal
from digits.lists import read_list
from digits.output import Writer, atomic_file
from digits.results import LOW_CONFIDENCE, OK, Row
from digits.walk import find_images


@dataclass
class Summary:
    """What a batch run did, for the summary table and the exit code."""

    statuses: Counter = field(default_factory=Counter)  # status -> files
    digits: Counter = field(default_factory=Counter)  # digit -> times read (ok and low_confidence files)
    walk: WalkStats = field(default_factory=WalkStats)
    seconds: float = 0.0
    resumed: int = 0  # rows taken from the journal of an earlier, stopped run
    started: float = 0.0  # when the run began (time.time())

    @property
    def files(self) -> int:
        return sum(self.statuses.values())


def _replayed(journal: Journal, found: Iterator[Found]) -> Iterator[Row]:
    """The journal's rows, each matched with the file listed at its place (a document's pages with one file): a
    journal of other files is refused."""
    name = None
    for row in journal.replay():
        file = split_page(row.path)[0]
        if file != name:
            f = next(found, None)
            name = None if f is None else f.name
            if name != file:
                raise DigitsError(f"{journal.path}: the inputs changed since it was written (it has {row.path} where "
                                  f"the folder now gives {name or 'nothing more'}); delete it to start over")
        yield row


def run_batch(
    inputs: Sequence[Path | str],
    writer: Writer,
    engine: Engine,
    recursive: bool = True,
    on_row: Callable[[Row], None] | None = None,
    journal: Journal | None = None,
    from_list: str | None = None,
) -> Summary:
    """Classify every image under `inputs` (or named by the list `from_list`), writing one row per file as results
    arrive; raises if none found."""
    start = time.perf_counter()
    summary = Summary(started=time.time())
    found = iter(read_list(from_list) if from_list else find_images(inputs, recursive, summary.walk))

    def emit(row: Row) -> None:
        writer.write(row)
        summary.statuses[row.status] += 1
        if row.status in (OK, LOW_CONFIDENCE):
            summary.digits.update(int(d) for d in str(row.prediction))  # a number's digits, or one digit
        if on_row:
            on_row(row)

    if journal is None:
        for row in engine(found):
            emit(row)
    else:
        for row in _replayed(journal, found):
            emit(row)
            summary.resumed += 1
        with journal:
            for row in engine(found):
                journal.append(row)
                emit(row)
    summary.seconds = time.perf_counter() - start
    if summary.files == 0 and from_list:
        raise DigitsError(f"--from-list {from_list} names no files; check the list")
    if summary.files == 0:
        names = ", ".join(str(p) for p in inputs)
        raise DigitsError(f"no image files found in {names} ({', '.join(sorted(IMAGE_EXTENSIONS))}); check the path")
    return summary


def manifest_path(out: Path | str) -> Path:
    """Where a run's record lives: beside its output, its name plus `.manifest.json`."""
    out = Path(out)
    return out.with_name(out.name + ".manifest.json")


def read_manifest(out: Path | str) -> dict | None:
    """The record of the run that wrote `out`; None when there is none, DigitsError when it is damaged."""
    path = manifest_path(out)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DigitsError(f"{path} cannot be read ({exc}); move it away, or give what it would say") from None
    if not isinstance(record, dict) or not isinstance(record.get("inputs"), list):
        raise DigitsError(f"{path} is not the record of a `digits batch` run; move it away")
    return record


def write_manifest(out: Path | str, header: dict, fmt: str, summary: Summary) -> Path:
    """Record beside a finished output what made it: inputs, model and its hash, options, counts, start and end."""
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))
    record = {**header, "cwd": os.getcwd(), "output": str(Path(out).absolute()), "format": fmt, "rows": summary.files,
              "statuses": dict(summary.statuses), "resumed_rows": summary.resumed, "started": stamp(summary.started),
              "ended": stamp(summary.started + summary.seconds), "seconds": round(summary.seconds, 3)}
    path = manifest_path(out)
    with atomic_file(path) as f:
        f.write(json.dumps(record, indent=1) + "\n")
    return path
