"""Classify image files: decode and preprocess in parallel workers, run the model in batches, stream results.

Results come back one per file, in input order, as soon as their batch is done; memory holds only
the files in flight, whatever the number of files. A file that cannot be read becomes a result with
status "error" and a specific message; it never stops the others.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from digits.config import Config
from digits.errors import DigitsError, ImageError
from digits.images import open_image
from digits.inference import Classifier
from digits.numbers import read_numbers
from digits.output import RowWriter, record
from digits.preprocess import Preprocessed, preprocess
from digits.remote import is_uri, read_uri
from digits.results import ERROR, LOW_CONFIDENCE, OK, FileResult, status_of
from digits.segment import Slot, segment
from digits.walk import IMAGE_EXTENSIONS, Found, WalkStats, find_images

CHUNK = 16  # files per task sent to a worker: amortises the hand-off, keeps small folders parallel

Loaded = tuple[Preprocessed | list[Slot] | None, str, str]  # (what the model sees, note, error message)


def load(source: Path | str, max_pixels: int, numbers: bool = False, paper_lines: bool = False) -> Loaded:
    """Open and preprocess one file or URI (as one digit, or segmented as a number); errors become messages.

    `paper_lines`: clear the lines of ruled paper and form boxes first (Config.paper_lines)."""
    try:
        if is_uri(source):
            source = read_uri(source, max_bytes=4 * max_pixels + 1_000_000)  # an uncompressed RGBA image, and headers
        opened = open_image(source, max_pixels)
        with opened.image:
            image = opened.image
            return (segment(image, paper_lines) if numbers else preprocess(image, paper_lines)), opened.note, ""
    except ImageError as exc:
        return None, "", str(exc)
    except (OSError, ValueError, MemoryError) as exc:  # decoders fail lazily and in odd ways on hostile files
        return None, "", f"cannot decode image: {type(exc).__name__}: {exc}"


def _load_chunk(found: list[Found], cfg: Config) -> list[Loaded]:
    return [load(f.path, cfg.max_pixels, cfg.numbers, cfg.paper_lines) for f in found]


def _pool(kind: str, workers: int) -> Executor:
    if kind == "thread":
        return ThreadPoolExecutor(workers)
    # fork is fast and safe here: workers only decode and run numpy, never the onnxruntime session
    gc.freeze()  # the workers' garbage collector then leaves the parent's objects, and their shared pages, alone
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),))


def _worker_init(parent: int) -> None:
    """Workers ignore Ctrl-C (it reaches the whole process group; the parent handles it) and die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, which cleans up its output
    if sys.platform.startswith("linux"):  # even a parent killed outright (SIGKILL) takes its workers along
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent was already gone
        os._exit(1)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _loaded(found: Iterable[Found], cfg: Config, workers: int) -> Iterator[tuple[Found, Loaded]]:
    """(file, loaded) in input order; with several workers, at most two model batches in flight."""
    chunks = _chunks(found, CHUNK)
    if workers == 1:
        for chunk in chunks:
            yield from zip(chunk, _load_chunk(chunk, cfg), strict=True)
        return
    window = max(2 * workers, 2 * cfg.batch // CHUNK)
    pool = _pool(cfg.pool, workers)
    try:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_load_chunk, chunk, cfg)))
            if len(pending) >= window:
                chunk, future = pending.popleft()
                yield from zip(chunk, future.result(), strict=True)
        while pending:
            chunk, future = pending.popleft()
            yield from zip(chunk, future.result(), strict=True)
    finally:  # on an interrupt, drop the queued work rather than finishing it
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def classify_files(
    found: Iterable[Found], classifier: Classifier, cfg: Config = Config(), workers: int | None = None
) -> Iterator[FileResult]:
    """One FileResult per file, in input order; decoding runs on `workers` (default: all cores)."""
    workers = workers or cfg.workers or os.cpu_count() or 1
    for batch in _chunks(_loaded(found, cfg, workers), cfg.batch):
        yield from classify_loaded(batch, classifier, cfg)


def classify_loaded(batch: Sequence[tuple[Found, Loaded]], classifier: Classifier, cfg: Config) -> list[FileResult]:
    """The model's part, for both engines: one FileResult per loaded file, its read images run as one batch."""
    read = [seen for _, (seen, _, _) in batch if seen is not None]
    predictions = iter(read_numbers(read, classifier) if cfg.numbers else classifier.classify(read))
    results = []
    for f, (seen, note, error) in batch:
        if seen is None:
            results.append(FileResult(f, ERROR, None, error=error))
        else:
            prediction = next(predictions)
            status = status_of(prediction, cfg.review_below, cfg.not_digit_threshold)
            notes = "; ".join(n for n in (note, getattr(prediction, "note", "")) if n)  # a number's left-out pieces
            results.append(FileResult(f, status, prediction, note=notes))
    return results


@dataclass
class Summary:
    """What a batch run did, for the summary table and the exit code."""

    statuses: Counter = field(default_factory=Counter)  # status -> files
    digits: Counter = field(default_factory=Counter)  # digit -> times read (ok and low_confidence files)
    walk: WalkStats = field(default_factory=WalkStats)
    seconds: float = 0.0

    @property
    def files(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class Engine:
    """A way to run the job: files in, their output rows (output.record) out, in input order."""

    rows: Callable[[Iterable[Found]], Iterator[dict]]
    rejects: bool  # the model says "not a digit" (exported with the gate); else no row is ever not_digit

    def __call__(self, found: Iterable[Found]) -> Iterator[dict]:
        return self.rows(found)


def local_engine(classifier: Classifier, cfg: Config, probabilities: bool) -> Engine:
    """This machine: decoding in a process pool, the model in this process (classify_files)."""
    rows = lambda found: (record(r, probabilities, cfg.numbers) for r in classify_files(found, classifier, cfg))
    return Engine(rows, classifier.rejects)


@contextmanager
def open_engine(
    kind: str, model: Path, cfg: Config, probabilities: bool, ray_address: str | None = None
) -> Iterator[Engine]:
    """The engine named `kind` ("local" or "ray"), ready for run_batch while the block lasts."""
    if kind == "ray":
        from digits.ray_engine import ray_engine

        with ray_engine(model, cfg, probabilities, ray_address) as engine:
            yield engine
    else:
        yield local_engine(Classifier(model, cfg.batch_threads, cfg.model_batch, cfg.gate), cfg, probabilities)


def run_batch(
    inputs: Sequence[Path | str],
    writer: RowWriter,
    engine: Engine,
    recursive: bool = True,
    on_row: Callable[[dict], None] | None = None,
) -> Summary:
    """Classify every image under `inputs`, writing one row per file as results arrive; raises if none found."""
    start = time.perf_counter()
    summary = Summary()
    for row in engine(find_images(inputs, recursive, summary.walk)):
        writer.write(row)
        summary.statuses[row["status"]] += 1
        if row["status"] in (OK, LOW_CONFIDENCE):
            summary.digits.update(int(d) for d in str(row["prediction"]))  # a number's digits, or one digit
        if on_row:
            on_row(row)
    summary.seconds = time.perf_counter() - start
    if summary.files == 0:
        names = ", ".join(str(p) for p in inputs)
        raise DigitsError(f"no image files found in {names} ({', '.join(sorted(IMAGE_EXTENSIONS))}); check the path")
    return summary
