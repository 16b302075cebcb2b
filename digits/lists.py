"""Inputs as a list (`batch --from-list`): a text file (one path or URI per line), a CSV or a Parquet file
(their `path` column), local or behind a URI. Streamed: never held whole, whatever its length.

An entry is named in the output as it is written in the list; a relative local path is read from
the list's own folder, so a list and its scans can move together.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from digits.errors import DigitsError, first_line
from digits.files import Found, is_uri

COLUMN = "path"
BATCH = 4096  # entries read at a time from a Parquet list


def list_kind(name: str) -> str:
    """'parquet', 'csv' or 'text', from the list's extension."""
    suffix = Path(name.split("?")[0]).suffix.lower()
    return {".parquet": "parquet", ".csv": "csv"}.get(suffix, "text")


def list_base(source: str) -> str:
    """The folder that relative entries are read from: the list's own (a URI's prefix, or a local folder)."""
    if is_uri(source):
        return source.rsplit("/", 1)[0] + "/"
    return str(Path(source).absolute().parent) + "/"


def resolve(entry: str, base: str) -> str:
    """Where to read an entry: a URI or an absolute path as it is, a relative one from the list's folder."""
    if is_uri(entry) or Path(entry).is_absolute():
        return entry
    return base + entry


def _open(source: str, binary: bool):
    if is_uri(source):
        from digits.remote import open_uri

        stream = open_uri(source)
        return stream if binary else io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        return open(source, "rb") if binary else open(source, encoding="utf-8", newline="")
    except OSError as exc:
        raise DigitsError(f"--from-list {source}: cannot read it ({exc.strerror})") from None


def entries(source: str) -> Iterator[str]:
    """The list's entries, in order; blank lines of a text list are passed over."""
    kind = list_kind(source)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            with _open(source, binary=True) as stream:
                table = pq.ParquetFile(stream)
                if COLUMN not in table.schema_arrow.names:
                    raise DigitsError(f"--from-list {source}: no `{COLUMN}` column (it has "
                                      f"{', '.join(table.schema_arrow.names)})")
                for batch in table.iter_batches(batch_size=BATCH, columns=[COLUMN]):
                    yield from (e for e in batch.column(0).to_pylist() if e)
        elif kind == "csv":
            with _open(source, binary=False) as stream:
                rows = csv.DictReader(stream)
                if COLUMN not in (rows.fieldnames or []):
                    raise DigitsError(f"--from-list {source}: no `{COLUMN}` column in its header")
                yield from (row[COLUMN] for row in rows if row[COLUMN])
        else:
            with _open(source, binary=False) as stream:
                yield from (line.rstrip("\r\n") for line in stream if line.strip())
    except DigitsError:
        raise
    except ImportError:
        raise DigitsError(f"--from-list {source}: a Parquet list needs pyarrow: pip install 'digits[parquet]'"
                          ) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DigitsError(f"--from-list {source}: cannot read it ({first_line(exc)})") from None


def read_list(source: str) -> Iterator[Found]:
    """The files a list names, as the engines take them."""
    base = list_base(source)
    for entry in entries(source):
        yield Found(resolve(entry, base), entry)
