"""Shared fixtures: the data folder (DIGITS_DATA or the cache, as every command finds it), the shipped model, the CLI
in a subprocess."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "digits.onnx"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """DIGITS_DATA, else the cache of `digits data fetch` (training.fetch.find_data); without either, the test fails."""
    from digits.errors import DataError
    from digits.training.fetch import find_data

    try:
        return find_data()
    except DataError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def mnist_test(data_dir):
    from digits.training.data import load_mnist

    return load_mnist(data_dir, "test")


@pytest.fixture(scope="session")
def classifier():
    from digits.inference import Classifier

    assert MODEL.is_file(), "the shipped model models/digits.onnx is missing"
    return Classifier(MODEL)


def run_cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """`python cli.py ARGS` in a subprocess from the repo root, text output captured."""
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs,
    )


def on_paper(digit: np.ndarray, size: tuple[int, int], at: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """(28, 28) uint8 MNIST digit, white on black -> (H, W) uint8 dark ink on white paper, scaled and placed."""
    from PIL import Image

    ink = Image.fromarray(digit)
    if scale != 1.0:
        ink = ink.resize((round(28 * scale), round(28 * scale)), Image.BICUBIC)
    canvas = np.zeros(size[::-1], np.uint8)
    ink = np.asarray(ink)[: size[1] - at[1], : size[0] - at[0]]
    canvas[at[1] : at[1] + ink.shape[0], at[0] : at[0] + ink.shape[1]] = ink
    return 255 - canvas


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def page_url():
    """The page served by `python app_gradio.py` on a free port, for the API and browser tests."""
    sys.path.insert(0, str(ROOT))
    from bench.browser import running_app

    with running_app() as (url, _):
        yield url
