"""Load MNIST (the four IDX files, gzip or raw), Semeion (evaluation only) and USPS (validation only), validated.

MNIST arrays are uint8 (N, 28, 28), white ink (255) on black; labels uint8 (N,).
Semeion arrays are uint8 (N, 16, 16) with ink 255 on 0, the digit stretched to fill its box.
USPS arrays are uint8 (N, 16, 16) with ink 255 on 0, grey, deslanted and filling the box's height.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.errors import DataError

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}
SEMEION_FILE = "semeion.data"
USPS_FILE = "zip.train.gz"


@dataclass(frozen=True)
class Split:
    """Images, labels, and the SHA-256 of the decompressed IDX files they came from."""

    images: np.ndarray  # (N, H, W) uint8, ink 255 on 0
    labels: np.ndarray  # (N,) uint8 in 0-9
    images_sha256: str  # of the decompressed images file, as listed in ../shared/data/README.md
    labels_sha256: str  # of the decompressed labels file


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem}.gz (or {stem}); pass --data a folder holding the four MNIST IDX files")


def _read_idx(path: Path, magic: int, count: int, shape: tuple[int, ...]) -> tuple[np.ndarray, bytes]:
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read ({exc}); download the file again") from exc
    header = 4 + 4 * (1 + len(shape))
    if len(raw) < header:
        raise DataError(f"{path}: too short to be an IDX file; download the file again")
    got_magic, *dims = struct.unpack(f">{1 + 1 + len(shape)}I", raw[:header])
    if got_magic != magic:
        raise DataError(f"{path}: magic number {got_magic}, expected {magic}; is it the right file?")
    if dims != [count, *shape]:
        raise DataError(f"{path}: shape {tuple(dims)}, expected {(count, *shape)}; is it the full MNIST file?")
    body = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if body.size != count * int(np.prod(shape, dtype=np.int64)):
        raise DataError(f"{path}: {body.size} data bytes, expected {count * int(np.prod(shape))}; truncated download?")
    return body.reshape(count, *shape), raw


def _split(images: np.ndarray, labels: np.ndarray, images_raw: bytes, labels_raw: bytes) -> Split:
    if labels.max(initial=0) > 9:
        raise DataError(f"labels outside 0-9 (max {labels.max()}); is it the MNIST labels file?")
    sha = lambda raw: hashlib.sha256(raw).hexdigest()  # noqa: E731
    return Split(images=images, labels=labels, images_sha256=sha(images_raw), labels_sha256=sha(labels_raw))


def load_mnist(folder: Path, split: str = "train") -> Split:
    """MNIST `split` ("train" or "test") from a folder of IDX files (`digits.training.fetch.find_data` finds one)."""
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    folder = Path(folder)
    if (folder / "mnist").is_dir():  # the data root (../shared/data) works as well as its mnist/ folder
        folder = folder / "mnist"
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder; pass --data the folder holding the MNIST IDX files")
    images_stem, labels_stem, count = MNIST_FILES[split]
    images, images_raw = _read_idx(_find(folder, images_stem), IMAGES_MAGIC, count, (28, 28))
    labels, labels_raw = _read_idx(_find(folder, labels_stem), LABELS_MAGIC, count, ())
    return _split(images, labels, images_raw, labels_raw)


def load_semeion(folder: Path) -> Split:
    """Semeion's 1,593 digits from `semeion.data`; for evaluation only, never for training or tuning."""
    path = Path(folder) / SEMEION_FILE
    if not path.is_file():
        path = Path(folder) / "semeion" / SEMEION_FILE
    if not path.is_file():
        raise DataError(f"{folder}: no {SEMEION_FILE} (nor semeion/{SEMEION_FILE}); pass the data folder")
    raw = path.read_bytes()
    images, labels = read_semeion(raw, path)
    digest = hashlib.sha256(raw).hexdigest()  # one file holds both
    return Split(images=images, labels=labels, images_sha256=digest, labels_sha256=digest)


def read_semeion(raw: bytes, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Semeion's text (UCI's 266 columns of 0.0000/1.0000, or with a 267th label column) as (images, labels)."""
    try:
        rows = np.array([line.split() for line in raw.decode("ascii").splitlines() if line.strip()], dtype=float)
    except ValueError as exc:  # ragged rows or non-numbers
        raise DataError(f"{path}: not the Semeion format (256 pixels + 10 one-hot labels per line)") from exc
    if rows.ndim != 2 or rows.shape[1] not in (266, 267):
        raise DataError(f"{path}: {rows.shape[-1]} columns per line, expected 266 (256 pixels + 10 labels)")
    pixels, onehot = rows[:, :256], rows[:, 256:266]
    if not (np.isin(pixels, (0, 1)).all() and (onehot.sum(axis=1) == 1).all()):
        raise DataError(f"{path}: pixels must be 0/1 and each label one-hot; is it the Semeion file?")
    labels = onehot.argmax(axis=1).astype(np.uint8)
    if rows.shape[1] == 267 and not (rows[:, 266] == labels).all():
        raise DataError(f"{path}: the label column disagrees with the one-hot labels")
    return (pixels.reshape(-1, 16, 16) * 255).astype(np.uint8), labels


def load_usps(folder: Path) -> Split:
    """USPS's 7,291 training digits (other writers: US mail) from `usps/zip.train.gz`; for validation only."""
    path = Path(folder) / "usps" / USPS_FILE
    if not path.is_file():
        path = Path(folder) / USPS_FILE
    if not path.is_file():
        raise DataError(f"{folder}: no usps/{USPS_FILE}; run `digits data fetch` or pass the data folder")
    try:
        raw = gzip.decompress(path.read_bytes())
        rows = np.array([line.split() for line in raw.decode("ascii").splitlines() if line.strip()], dtype=float)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"{path}: not the USPS format (a label and 256 values per line); download it again") from exc
    if rows.ndim != 2 or rows.shape[1] != 257 or not np.isin(rows[:, 0], np.arange(10)).all():
        raise DataError(f"{path}: expected a label 0-9 and 256 values per line; is it USPS's zip.train?")
    images = np.clip(np.round((rows[:, 1:] + 1) * 127.5), 0, 255).astype(np.uint8).reshape(-1, 16, 16)
    digest = hashlib.sha256(raw).hexdigest()
    return Split(images=images, labels=rows[:, 0].astype(np.uint8), images_sha256=digest, labels_sha256=digest)
