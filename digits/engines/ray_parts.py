"""`batch --engine ray --from-list LIST --out DIR/` (or `s3://bucket/prefix/`): part files, no driver in the path.

Ray Data reads the list in parallel, a pool of actors reads the files it names (the same
load-and-read step as every engine), and Ray Data's own writers write the part files from the
workers: the driver holds neither names nor rows, whatever the list's length. Ray Data's
checkpoints (the ids of the inputs whose rows are written, under `DIR/_checkpoint/`) let `--resume`
skip what a stopped run wrote. At the end the workers describe each part (rows, bytes, SHA-256,
statuses) and the driver writes `DIR/_manifest.json`. Names starting with `_` are what Parquet
and Arrow readers pass over, so `DIR` reads as one dataset.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.config import Config
from digits.documents import split_page
from digits.engines.ray_data import Cluster, RayWorker, pool, read_with_actors
from digits.errors import DigitsError, first_line
from digits.files import Found, is_uri
from digits.inference import Classifier
from digits.lists import list_base, list_kind, resolve
from digits.reader import Reader

RUN, MANIFEST, CHECKPOINT = "_run.json", "_manifest.json", "_checkpoint"
TASK_CPUS = 0.25  # what reading the list and writing a part claim: light I/O, and never starved by the actors


def is_folder(out: str) -> bool:
    """True when --out names a folder for part files: ends with "/", or is a local folder."""
    return out.endswith("/") or (not is_uri(out) and Path(out).is_dir())


@dataclass
class Parts:
    """What a part-file run wrote, for the summary."""

    parts: int = 0
    statuses: Counter = field(default_factory=Counter)
    resumed: bool = False

    @property
    def files(self) -> int:
        return sum(self.statuses.values())


def _filesystem(out: str):
    import pyarrow.fs as pafs

    if is_uri(out):
        fs, path = pafs.FileSystem.from_uri(out)
        return fs, path.rstrip("/")
    Path(out).mkdir(parents=True, exist_ok=True)
    return pafs.LocalFileSystem(), str(Path(out).absolute())


class PartWorker(RayWorker):
    """A Ray actor: a batch of list entries in, their rows as typed columns out (the output's columns).

    Ray Data's checkpoint knows a document's pages by their paths (`a.pdf#page=1`...), not by the list's entry
    (`a.pdf`), so resuming would read a written document again: a resumed actor passes over the documents whose
    first page the checkpoint holds (a document's rows are written in one block, so all of them or none)."""

    def __init__(self, model: list, cfg: Config, reader: Reader, base: str, columns: list[str],
                 checkpoint: str | None = None):
        super().__init__(model, cfg, reader)
        self.base, self.columns = base, columns
        self.written = _written_documents(checkpoint) if checkpoint else set()

    def __call__(self, batch: dict[str, np.ndarray]):
        from digits.output import arrow_table

        entries = [entry for entry in batch["path"].tolist() if entry not in self.written]
        return arrow_table(self.rows([Found(resolve(entry, self.base), entry) for entry in entries]), self.columns)


def _written_documents(checkpoint: str) -> set[str]:
    """The list entries of the documents whose rows a stopped run wrote, from Ray Data's checkpoint of it."""
    import pyarrow.dataset as ds

    try:
        paths = ds.dataset(checkpoint, format="parquet").to_table(columns=["path"]).column("path").to_pylist()
    except (OSError, ValueError):  # nothing checkpointed yet
        return set()
    return {file for file, page in map(split_page, paths) if page == 1}


def _read_list(source: str):
    """The list as a Ray dataset of one `path` column, read in parallel by Ray Data."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import ray.data

    kind = list_kind(source)
    light = {"num_cpus": TASK_CPUS}
    as_text = pcsv.ConvertOptions(column_types={"path": pa.string()}, include_columns=["path"])
    if kind == "parquet":
        return ray.data.read_parquet(source, columns=["path"], **light)
    if kind == "csv":
        return ray.data.read_csv(source, convert_options=as_text, **light)
    one_column = pcsv.ParseOptions(delimiter="\x1f", quote_char=False, escape_char=False)  # a whole line each
    return ray.data.read_csv(source, read_options=pcsv.ReadOptions(column_names=["path"]), parse_options=one_column,
                             convert_options=as_text, file_extensions=None, **light)


def _state(fs, root: str, header: dict, resume: bool) -> bool:
    """Whether a stopped run is resumed here; refuses a folder holding anything else."""
    import pyarrow.fs as pafs

    from digits.journal import differs

    listed = fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))
    if not listed:
        return False
    names = {info.base_name for info in listed}
    if RUN not in names:
        what = "a finished run's parts" if MANIFEST in names else "other files"
        raise DigitsError(f"{root} holds {what}; give --out an empty folder or prefix")
    if not resume:
        raise DigitsError(f"{root} holds the parts of a run that stopped before the end; add --resume to finish it, "
                          "or empty it to start over")
    with fs.open_input_stream(f"{root}/{RUN}") as f:
        written = json.loads(f.read())
    what = differs(written, header)
    if what:
        raise DigitsError(f"{root} was written for {what}; run as it was to resume, or empty it to start over")
    return True


def _describe(row: dict) -> dict:
    """One part's rows, bytes, SHA-256 and statuses: read on a worker, never by the driver."""
    import pyarrow.fs as pafs

    fs, path = pafs.FileSystem.from_uri(row["uri"]) if is_uri(row["uri"]) else (pafs.LocalFileSystem(), row["uri"])
    with fs.open_input_stream(path) as f:
        data = f.read()  # one part: Config.part_rows rows, a few MB
    statuses = _statuses(data, row["format"])
    return {"part": row["part"], "rows": sum(statuses.values()), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "statuses": json.dumps(statuses)}


def _statuses(data: bytes, fmt: str) -> dict:
    import io

    import pyarrow.csv as pcsv
    import pyarrow.json as pjson
    import pyarrow.parquet as pq

    if fmt == "parquet":
        column = pq.read_table(io.BytesIO(data), columns=["status"]).column(0)
    elif fmt == "csv":
        column = pcsv.read_csv(io.BytesIO(data), convert_options=pcsv.ConvertOptions(include_columns=["status"])
                               ).column(0)
    else:
        column = pjson.read_json(io.BytesIO(data)).column("status")
    return dict(Counter(column.to_pylist()))


def run_parts(source: str, out: str, fmt: str, columns: list[str], model: Path, cfg: Config, reader: Reader,
              address: str | None, header: dict, resume: bool) -> Parts:
    """On the Ray at `address` (else a local one): the list's files into part files under `out`, and a manifest."""
    from digits.engines.ray_data import ray_cluster

    Classifier(model, gate=cfg.gate)  # a missing or wrong model: said before any cluster starts
    with ray_cluster(address) as cluster:
        return ray_parts(source, out, fmt, columns, model, cfg, reader, cluster, header, resume)


def ray_parts(source: str, out: str, fmt: str, columns: list[str], model: Path, cfg: Config, reader: Reader,
              cluster: Cluster, header: dict, resume: bool) -> Parts:
    """Read every file the list names into part files under `out`, and write their manifest."""
    import ray
    import ray.data
    from ray.data.checkpoint import CheckpointConfig
    from ray.exceptions import RayError

    fs, root = _filesystem(out)
    try:
        resumed = _state(fs, root, header, resume)
        if not resumed:
            with fs.open_output_stream(f"{root}/{RUN}") as f:
                f.write(json.dumps(header).encode())
    except DigitsError:
        raise
    except Exception as exc:
        raise DigitsError(f"{out}: cannot write there ({first_line(exc, 200)})") from None
    target = out.rstrip("/") if is_uri(out) else root
    context = ray.data.DataContext.get_current()
    context.checkpoint_config = CheckpointConfig(id_column="path", checkpoint_path=f"{target}/{CHECKPOINT}",
                                                 delete_checkpoint_on_success=False)
    # resuming, Ray Data filters the inputs already written with an actor that claims one CPU: leave it one, and
    # the reading and writing tasks their share, or the job waits forever for a CPU (ray-project/ray#44687)
    actors, cpus = pool(cluster.cpus - resumed, cfg.workers or max(1, int(cluster.cpus)))
    rows = read_with_actors(_read_list(source), PartWorker, model, cfg, actors, cpus, reader=reader,
                            base=list_base(source), columns=columns,
                            checkpoint=f"{target}/{CHECKPOINT}" if resumed else None)
    write = {"parquet": rows.write_parquet, "csv": rows.write_csv, "jsonl": rows.write_json}[fmt]
    try:
        write(target, min_rows_per_file=cfg.part_rows, ray_remote_args={"num_cpus": TASK_CPUS})
    except RayError as exc:
        raise DigitsError(f"the Ray job failed ({first_line(exc, 300)}); the parts written so far stay in {out}: "
                          "--resume finishes the run") from None
    finally:
        context.checkpoint_config = None
    return _manifest(fs, root, target, fmt, header, resumed)


def _manifest(fs, root: str, target: str, fmt: str, header: dict, resumed: bool) -> Parts:
    import pyarrow.fs as pafs
    import ray.data

    listed = fs.get_file_info(pafs.FileSelector(root))
    parts = sorted(i.base_name for i in listed if i.type == pafs.FileType.File and i.base_name[0] not in "_.")
    items = [{"part": p, "uri": f"{target}/{p}", "format": fmt} for p in parts]
    described = ray.data.from_items(items).map(_describe).take_all() if items else []
    described.sort(key=lambda d: d["part"])
    summary = Parts(len(parts), Counter(), resumed)
    for d in described:
        summary.statuses.update(json.loads(d.pop("statuses")))
    manifest = {"run": header, "format": fmt, "rows": summary.files, "statuses": dict(summary.statuses),
                "parts": described}
    with fs.open_output_stream(f"{root}/{MANIFEST}") as f:
        f.write(json.dumps(manifest, indent=1).encode())
    if fs.get_file_info(f"{root}/{CHECKPOINT}").type == pafs.FileType.Directory:
        fs.delete_dir(f"{root}/{CHECKPOINT}")
    fs.delete_file(f"{root}/{RUN}")
    return summary
