"""`batch --engine ray`: the same files, rows and order as the local engine, run on Ray Data, locally or on a cluster.

The driver lists the files (walk.find_images) and writes the one output file; Ray Data hands the
names to a pool of actors, each holding one onnxruntime session and running the same load-and-read
step as the local engine (engines/common.py), and streams the rows back in input order. Ray comes
from the `ray` extra.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import socket
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.config import Config
from digits.engines.common import Engine, load, read_loaded
from digits.errors import DigitsError, first_line
from digits.files import Found, is_uri
from digits.inference import Classifier
from digits.reader import Reader
from digits.results import Row

# Ray binds its servers to the node's network address unless it believes it is on a laptop (its setting for
# macOS and Windows): then every server listens on 127.0.0.1 only. Read when `ray` is first imported.
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
RETRIES = 2  # a dead actor is restarted and its batch run again this many times, then the job fails
INSTALL = "--engine ray needs Ray: pip install 'digits[ray]'"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
EXPIRY = "RAY_DATA_AUTOSCALING_REQUEST_EXPIRE_TIME_S"


def _reachable(address: str, seconds: float = 10.0) -> str:
    """The host of a Ray address ("host:port" or "ray://host:port"), once a TCP connection to it succeeds.

    ray.init retries an address that does not answer forever; this turns that into a one-line error.
    """
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise DigitsError(f"--ray-address {address}: expected HOST:PORT (e.g. 127.0.0.1:6379) or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as exc:
        raise DigitsError(f"--ray-address {address}: nothing answers there ({exc.strerror or exc}); start a cluster "
                          "with `ray start --head`, or leave the address out to start a local Ray") from None
    return host


@dataclass(frozen=True)
class Cluster:
    """The Ray the job runs on."""

    address: str  # "local": started here for this run, on 127.0.0.1
    cpus: float  # the cluster's CPUs, which size the actor pool
    start_seconds: float  # ray.init: starting a local Ray, or connecting


@contextmanager
def ray_cluster(address: str | None = None, cpus: int | None = None) -> Iterator[Cluster]:
    """Connect to `address` (else RAY_ADDRESS), or start a local Ray on 127.0.0.1; shut down on every exit."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    host = _reachable(address) if address not in (None, "auto") else None  # auto: Ray finds a `ray start` cluster
    if address is None or host in LOOPBACK_HOSTS:  # a driver of a loopback Ray must be on loopback too
        os.environ[LOOPBACK_ONLY] = "0"  # also read by the Ray processes started below
    token = os.environ.get("RAY_AUTH_TOKEN") or (Path.home() / ".ray" / "auth_token").is_file()
    if address is not None and token and "RAY_AUTH_MODE" not in os.environ:
        os.environ["RAY_AUTH_MODE"] = "token"  # as Ray does for a cluster it starts: send the token it would use
    try:
        import ray
        from ray._private import ray_constants
    except ImportError:
        raise DigitsError(INSTALL) from None
    if address is None and ray_constants.ENABLE_RAY_CLUSTER:  # ray was imported before, bound to the network
        raise DigitsError("a local Ray must start in a process that has not imported ray yet; pass --ray-address")
    start = time.perf_counter()
    # SIGTERM as Ctrl-C, so that `finally` shuts Ray down: a driver killed outright leaves Ray's agents running
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        try:
            ray.init(
                address=address or "local",  # "local": never join a cluster this machine happens to run
                num_cpus=(cpus or os.cpu_count() or 1) if address is None else None,
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
            )
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise DigitsError(f"--ray-address {address}: cannot connect ({first_line(exc, 200)}); check the address, "
                              "and RAY_AUTH_TOKEN if the cluster uses token authentication") from None
        # Ray Data reserves the cluster's resources for each job; a job whose driver was killed keeps its reservation
        # until it expires (180 s by default), and a job resumed meanwhile gets the rest only. Renewed every 10 s
        # by a live driver, so 30 s loses nothing. Read when ray.data is first imported.
        os.environ.setdefault(EXPIRY, "30")
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # rows in input order, as the local engine writes them
        context.enable_progress_bars = False  # the CLI draws its own
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        seconds = time.perf_counter() - start
        yield Cluster(address or "local", ray.cluster_resources().get("CPU", 1.0), seconds)
    finally:
        ray.shutdown()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def pool(cpus: float, actors: int = 0) -> tuple[int, float]:
    """(actors, CPUs each): one actor per CPU by default, claiming together one CPU less than the cluster has.

    Actors that claim every CPU leave none for Ray Data's own tasks, and the job waits forever
    (ray-project/ray#44687); the actors still use every core, as the claim is bookkeeping only.
    """
    actors = actors or max(1, int(cpus))
    return actors, max(0.05, min(1.0, (cpus - 1) / actors))


class RayWorker:
    """A Ray actor: one onnxruntime session; a batch of file names in, their rows out (pickled), in order."""

    def __init__(self, model: list, cfg: Config, reader: Reader):
        import ray

        # [ref to the model's bytes]: a ref inside a list is not resolved by Ray; the actor fetches it itself, so a
        # restarted actor fetches it again from the driver instead of needing its lost constructor arguments
        self.classifier = Classifier(ray.get(model[0]), cfg.batch_threads, cfg.model_batch, cfg.gate)
        self.cfg, self.reader = cfg, reader

    def rows(self, found: list[Found]) -> list[Row]:
        """The files' rows, in order: the load-and-read step every engine runs."""
        loaded = [(f, load(f.path, self.cfg, self.reader)) for f in found]
        return read_loaded(loaded, self.classifier, self.reader)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        found = [Found(path, name) for path, name in zip(batch["path"].tolist(), batch["name"].tolist(), strict=True)]
        return {"row": np.array([pickle.dumps(row) for row in self.rows(found)], dtype=object)}


def read_with_actors(dataset, worker: type, model: Path, cfg: Config, actors: int, cpus: float, **kwargs):
    """`dataset` mapped by a pool of `actors` actors of `worker` (RayWorker or a subclass), each `cpus` CPUs, given
    the model's bytes, `cfg` and `kwargs`; a dead actor restarted and its batch run again RETRIES times at most."""
    import ray
    import ray.data

    model_ref = ray.put(Path(model).read_bytes())  # once, for every actor on every node (kept alive by the plan)
    # ray_remote_args (max_restarts, max_task_retries): deprecated in Ray 2.60, yet still the only way to bound
    # retries. Set after importing ray, whose own filter for its deprecations would come first otherwise.
    warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated", DeprecationWarning)
    return dataset.map_batches(
        worker,
        fn_constructor_kwargs={"model": [model_ref], "cfg": cfg, **kwargs},
        batch_size=cfg.batch,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus,
        max_restarts=RETRIES,  # Ray Data's default is forever: a file that kills its actor would hang the job
        max_task_retries=RETRIES,
    )


def ray_rows(found: Iterable[Found], model: Path, cfg: Config, reader: Reader, cluster: Cluster) -> Iterator[Row]:
    """Every file's output row, in input order, read by a pool of RayWorker actors."""
    import pyarrow as pa
    import ray
    import ray.data
    from ray.exceptions import RayError

    # names only, in blocks of one model batch, each put in the object store as soon as it is full: the driver's
    # heap holds one block, whatever the number of files; absolute paths: actors do not share the driver's folder
    blocks, paths, names = [], [], []
    for f in found:
        paths.append(f.path if is_uri(f.path) else str(Path(f.path).absolute()))
        names.append(f.name)
        if len(paths) == cfg.batch:
            blocks.append(ray.put(pa.table({"path": paths, "name": names})))
            paths, names = [], []
    if paths:
        blocks.append(ray.put(pa.table({"path": paths, "name": names})))
    if not blocks:
        return
    actors, cpus = pool(cluster.cpus, min(cfg.workers or max(1, int(cluster.cpus)), len(blocks)))
    names = ray.data.from_arrow_refs(blocks)
    del blocks
    rows = read_with_actors(names, RayWorker, model, cfg, actors, cpus, reader=reader)
    try:
        for batch in rows.iter_batches(batch_size=None, batch_format="numpy"):
            for row in batch["row"]:
                yield pickle.loads(row)
    except RayError as exc:
        raise DigitsError(f"the Ray job failed ({first_line(exc, 300)}); no output was written (with --out FILE, "
                          "the journal keeps the rows made: --resume finishes the run)") from None


@contextmanager
def ray_engine(model: Path, cfg: Config, reader: Reader, address: str | None = None) -> Iterator[Engine]:
    """The Ray engine for run_batch, on a cluster that lives as long as the block."""
    rejects = Classifier(model, gate=cfg.gate).rejects  # a missing or wrong model: said before any cluster starts
    with ray_cluster(address) as cluster:
        yield Engine(lambda found: ray_rows(found, model, cfg, reader, cluster), rejects)
