"""Write rows as CSV (RFC 4180), JSON lines or Parquet, atomically: the target appears complete or not at all.

The writers are the only code that turns a Row into text or columns. Rows go to a hidden temporary
file beside the target, renamed over it only at the end; an interrupted run removes the temporary
file and leaves any earlier target as it was.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from digits.errors import DigitsError
from digits.results import Row

COLUMNS = ["path", "prediction", "confidence", "status", "error"]
PROBABILITY_COLUMNS = [f"p{d}" for d in range(10)] + ["not_digit"]  # not_digit: empty when the model cannot tell
FORMATS = ("csv", "jsonl", "parquet")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PARQUET_GROUP = 65_536  # rows per Parquet row group: columns compress well, memory stays small


def fields(probabilities: bool, extra: Sequence[str] = ()) -> list[str]:
    """The output's columns: the common ones, p0..p9 and not_digit if asked, then the reader's own."""
    return COLUMNS + (PROBABILITY_COLUMNS if probabilities else []) + list(extra)


def flat(row: Row, columns: Sequence[str]) -> dict:
    """A Row as {column: value} for `columns`; None where there is nothing (an empty CSV cell, JSON null)."""
    values = {"path": row.path, "prediction": row.prediction, "confidence": row.confidence, "status": row.status,
              "error": row.error, "not_digit": row.not_digit,
              "digit_confidences": None if row.digit_confidences is None else list(row.digit_confidences),
              "probabilities": None if row.probabilities is None else list(row.probabilities)}
    for d, p in enumerate(row.probabilities or [None] * 10):
        values[f"p{d}"] = p
    return {c: values[c] for c in columns}


class Writer(Protocol):
    """Takes rows one at a time; `close` finishes the file (Parquet's footer)."""

    def write(self, row: Row) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    """CSV with a header; a path a spreadsheet would run as a formula (`=cmd.png`) is written `./=cmd.png`."""

    def __init__(self, stream: IO[str], columns: Sequence[str]):
        self.columns = list(columns)
        self.csv = csv.writer(stream, lineterminator="\r\n")
        self.csv.writerow(self.columns)

    def write(self, row: Row) -> None:
        values = flat(row, self.columns)
        if row.path[:1] in FORMULA_STARTS:
            values["path"] = "./" + row.path
        cell = lambda v: "" if v is None else " ".join(map(str, v)) if isinstance(v, list) else v
        self.csv.writerow([cell(v) for v in values.values()])

    def close(self) -> None:
        pass


class JsonlWriter:
    """One JSON object per line: a digit's prediction is a number, a number's a string."""

    def __init__(self, stream: IO[str], columns: Sequence[str]):
        self.stream, self.columns = stream, list(columns)

    def write(self, row: Row) -> None:
        self.stream.write(json.dumps(flat(row, self.columns), ensure_ascii=False) + "\n")

    def close(self) -> None:
        pass


def arrow_schema(columns: Sequence[str]):
    """Parquet's typed columns: prediction as text (a number keeps its zeros), the rest floats, lists, text."""
    import pyarrow as pa

    kind = {"confidence": pa.float64(), "digit_confidences": pa.list_(pa.float64())}
    return pa.schema([(c, kind.get(c, pa.float64() if c in PROBABILITY_COLUMNS else pa.string())) for c in columns])


def arrow_table(rows: Sequence[Row], columns: Sequence[str]):
    """Rows as an Arrow table of the output's typed columns: Parquet's, and the Ray engine's part files'."""
    import pyarrow as pa

    values = [flat(row, columns) for row in rows]
    for v in values:
        if v["prediction"] is not None:
            v["prediction"] = str(v["prediction"])
    return pa.Table.from_pylist(values, schema=arrow_schema(columns))


class ParquetWriter:
    """Parquet through pyarrow, a row group every PARQUET_GROUP rows."""

    def __init__(self, stream: IO[bytes], columns: Sequence[str]):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DigitsError("--out *.parquet needs pyarrow: pip install 'digits[parquet]'") from None
        self.columns, self.schema = list(columns), arrow_schema(columns)
        self.parquet = pq.ParquetWriter(stream, self.schema)
        self.pending: list[Row] = []

    def write(self, row: Row) -> None:
        self.pending.append(row)
        if len(self.pending) == PARQUET_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.parquet.write_table(arrow_table(self.pending, self.columns))
            self.pending = []

    def close(self) -> None:
        self._flush()
        self.parquet.close()


def output_format(out: str, fmt: str | None) -> str:
    """csv, jsonl or parquet: as asked, else from the output name (`.jsonl`, `.parquet`), else csv."""
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower() if out != "-" else ""
    return {".jsonl": "jsonl", ".parquet": "parquet"}.get(suffix, "csv")


@contextmanager
def open_output(out: str, fmt: str, columns: Sequence[str]) -> Iterator[Writer]:
    """A writer of `fmt` to `out` (a file, written atomically, or "-" for stdout)."""
    binary = fmt == "parquet"
    if out == "-":
        if binary:
            raise DigitsError("Parquet cannot go to stdout; give --out FILE.parquet")
        yield (CsvWriter if fmt == "csv" else JsonlWriter)(sys.stdout, columns)
        return
    with atomic_file(Path(out), binary) as stream:
        writer = {"csv": CsvWriter, "jsonl": JsonlWriter, "parquet": ParquetWriter}[fmt](stream, columns)
        yield writer
        writer.close()


def raise_interrupt(signum, frame) -> None:
    """A signal handler that stops the main thread as Ctrl-C does (for SIGTERM: clean up, then exit)."""
    raise KeyboardInterrupt


@contextmanager
def atomic_file(target: Path, binary: bool = False) -> Iterator[IO]:
    """A file (UTF-8 text unless `binary`) whose content replaces `target` only when the block ends without error."""
    target = Path(target)
    _remove_orphans(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        stream = open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise DigitsError(f"cannot write {target}: {exc.strerror}; choose another --out") from None
    in_main_thread = threading.current_thread() is threading.main_thread()  # signals can only be set there
    previous = signal.signal(signal.SIGTERM, raise_interrupt) if in_main_thread else None
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
