"""The local engine: files decoded and prepared in a pool of worker processes, the model run here in batches.

Rows come back one per file, in input order, as soon as their batch is done; memory holds only
the files in flight, whatever the number of files.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import islice
from pathlib import Path

from digits.config import Config
from digits.engines.common import Engine, Loaded, load, read_loaded
from digits.files import Found
from digits.inference import Classifier
from digits.reader import Reader
from digits.remote import forget_clients
from digits.results import Row

CHUNK = 16  # files per task sent to a worker: amortises the hand-off, keeps small folders parallel
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _load_chunk(found: list[Found], cfg: Config, reader: Reader) -> list[list[Loaded]]:
    return [load(f.path, cfg, reader) for f in found]


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
    forget_clients()  # an object-storage client's connections and threads do not survive a fork


def _loaded(found: Iterable[Found], cfg: Config, reader: Reader, workers: int
            ) -> Iterator[tuple[Found, list[Loaded]]]:
    """(file, loaded) in input order; with several workers, at most two model batches in flight."""
    chunks = _chunks(found, CHUNK)
    if workers == 1:
        for chunk in chunks:
            yield from zip(chunk, _load_chunk(chunk, cfg, reader), strict=True)
        return
    window = max(2 * workers, 2 * cfg.batch // CHUNK)
    pool = _pool(cfg.pool, workers)
    try:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_load_chunk, chunk, cfg, reader)))
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


def classify_files(found: Iterable[Found], classifier: Classifier, cfg: Config, reader: Reader,
                   workers: int | None = None) -> Iterator[Row]:
    """One Row per file (per page of a document), in input order; decoding runs on `workers` (default: cfg.workers,
    else every core)."""
    workers = workers or cfg.workers or os.cpu_count() or 1
    for batch in _chunks(_loaded(found, cfg, reader, workers), cfg.batch):
        yield from read_loaded(batch, classifier, reader)


def local_engine(model: Path, cfg: Config, reader: Reader) -> Engine:
    """This machine: decoding in a process pool, the model in this process."""
    classifier = Classifier(model, cfg.batch_threads, cfg.model_batch, cfg.gate)
    return Engine(lambda found: classify_files(found, classifier, cfg, reader), classifier.rejects)
