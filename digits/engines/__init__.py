"""The engines that run a batch: `local` (this machine's processes) and `ray` (Ray Data), side by side.

Both take files (digits.files.Found) and give rows (digits.results.Row) in input order, through the
same load-and-read step (engines/common.py); `open_engine` picks one by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digits.config import Config
from digits.engines.common import Engine
from digits.reader import Reader

ENGINES = ("local", "ray")


@contextmanager
def open_engine(kind: str, model: Path, cfg: Config, reader: Reader, ray_address: str | None = None
                ) -> Iterator[Engine]:
    """The engine named `kind` ("local" or "ray"), ready while the block lasts."""
    if kind == "ray":
        from digits.engines.ray_data import ray_engine

        with ray_engine(model, cfg, reader, ray_address) as engine:
            yield engine
    else:
        from digits.engines.local import local_engine

        yield local_engine(model, cfg, reader)
