"""Shared fixtures: the data folder (DIGITS_DATA or the cache, as every command finds it), the shipped model, the CLI
in a subprocess."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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


def start_cli(*args, **kwargs) -> subprocess.Popen:
    """`python cli.py ARGS` started in the background, output piped, with Ctrl-C handled as at a terminal."""
    # tests started in the background (`pytest &`) ignore SIGINT, and the CLI would inherit that; while a handler is
    # set here instead, the CLI starts with the default, as exec resets handlers
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    finally:
        signal.signal(signal.SIGINT, previous)


def wait_for_rows(process: subprocess.Popen, folder: Path, timeout: float = 60) -> None:
    """Return once rows are streaming into a temporary output file in `folder`: the run is half way."""
    deadline = time.monotonic() + timeout
    while not any(p.name.endswith(".tmp") and p.stat().st_size > 1000 for p in folder.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it could be interrupted"
        time.sleep(0.02)


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


ODD_NAMES = ["with space.png", "comma,name.png", 'quote"name.png', "ünïcødé 数字.png", "=cmd.png", "-minus.png"]


def scan(digit: np.ndarray, scale: float = 3) -> Image.Image:
    return Image.fromarray(on_paper(digit, (130, 120), (15, 10), scale))


@pytest.fixture(scope="session")
def folder(mnist_test, tmp_path_factory):
    """good/ (named by true digit), odd/ (odd names), bad/ (hostile), a link loop, and a text file."""
    root = tmp_path_factory.mktemp("scans")
    labels = {}
    (root / "good" / "deeper").mkdir(parents=True)
    for i in range(12):
        name = f"good/{i:02d}.{['png', 'JPG', 'jpeg', 'bmp', 'tiff', 'webp'][i % 6]}"
        scan(mnist_test.images[i]).convert("RGB").save(root / name)
        labels[name] = int(mnist_test.labels[i])
    scan(mnist_test.images[12]).save(root / "good/deeper/12.png")
    labels["good/deeper/12.png"] = int(mnist_test.labels[12])
    (root / "odd").mkdir()
    for i, name in enumerate(ODD_NAMES):
        scan(mnist_test.images[20 + i]).save(root / "odd" / name)
        labels[f"odd/{name}"] = int(mnist_test.labels[20 + i])

    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.png").write_bytes(b"")
    good_png = io.BytesIO()
    scan(mnist_test.images[30]).save(good_png, format="PNG")
    (bad / "truncated.png").write_bytes(good_png.getvalue()[: len(good_png.getvalue()) // 2])
    (bad / "text.jpg").write_text("this is a text file saved under an image name\n")
    (bad / "huge.png").write_bytes(png_header(60_000, 60_000))
    (bad / "broken.png").symlink_to(bad / "no-such-file.png")
    os.mkfifo(bad / "pipe.png")
    Image.new("RGBA", (80, 80), (0, 0, 0, 0)).save(bad / "transparent.png")
    Image.new("L", (80, 80), 255).save(bad / "white.gif")
    frames = [scan(mnist_test.images[k]).convert("L") for k in (31, 34, 35)]  # distinct, or GIF merges them
    frames[0].save(bad / "frames.gif", save_all=True, append_images=frames[1:])
    frames[0].save(bad / "frames.tif", save_all=True, append_images=frames[1:2])
    sixteen = (np.asarray(scan(mnist_test.images[32]).convert("L"), np.uint16) * 257).astype(np.uint16)
    Image.fromarray(sixteen).save(bad / "sixteen.png")
    scan(mnist_test.images[33]).convert("CMYK").save(bad / "cmyk.jpg")
    labels.update({"bad/frames.gif": int(mnist_test.labels[31]), "bad/frames.tif#page=1": int(mnist_test.labels[31]),
                   "bad/frames.tif#page=2": int(mnist_test.labels[34]),
                   "bad/sixteen.png": int(mnist_test.labels[32]), "bad/cmyk.jpg": int(mnist_test.labels[33])})

    (root / "notes.txt").write_text("not an image")
    (root / "good" / "loop").symlink_to(root)  # a link back up: must not hang the walk
    return root, labels


@pytest.fixture(scope="session")
def many(mnist_test, tmp_path_factory):
    """1,500 scans: enough for a run to be caught half way."""
    folder = tmp_path_factory.mktemp("many")
    for i in range(1500):
        Image.fromarray(on_paper(mnist_test.images[i % 100], (200, 180), (30, 30), 4)).save(folder / f"{i:04d}.png")
    return folder


def number_with_marks(mnist_test, digits: str, marks: dict[int, str], seed: int) -> Image.Image:
    """The MNIST test digits spelling `digits`, with marks ("dash", "dot", or a letter in Hershey's script face)
    inserted before the given positions, written as one number."""
    from bench.read_numbers import mark, render_number
    from digits.training.glyphs import render_hershey

    rng = np.random.default_rng(seed)
    inks, heights = [], {}
    for k, d in enumerate(digits):
        if k in marks:
            if marks[k] in ("dash", "dot"):
                ink, heights[len(inks)] = mark(marks[k], rng)
            else:
                ink, heights[len(inks)] = render_hershey("script simplex", marks[k], 3), (0.9, 0.0)
            inks.append(ink)
        inks.append(mnist_test.images[int(np.flatnonzero(mnist_test.labels == int(d))[k])])
    return render_number(inks, rng, heights)[0]
