"""Get the data: MNIST, Semeion and USPS downloaded from their public homes into a user cache, verified, never half
written.

Every command and test finds the data through `find_data`: `--data`, then `DIGITS_DATA`, then the cache
(`~/.cache/digits`, or `$XDG_CACHE_HOME/digits`). The folder holds `mnist/` (the four IDX files, gzip) and
`semeion/semeion.data` and `usps/zip.train.gz`, the layout of `../shared/data`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digits.errors import DataError
from digits.training.data import MNIST_FILES, SEMEION_FILE, USPS_FILE, read_semeion

ENV = "DIGITS_DATA"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    """One file: where it lives in the data folder, its public home, and the SHA-256 of its content."""

    path: str  # relative to the data folder, e.g. "mnist/train-images-idx3-ubyte.gz"
    url: str
    sha256: str  # of the content: MNIST's decompressed IDX bytes, Semeion's images + labels as uint8
    size: int  # of the file as published (0: unknown), for the progress bar when the server does not say


MNIST_HOME = "https://storage.googleapis.com/cvdf-datasets/mnist/"  # Google's copy of LeCun's files
SEMEION_HOME = "https://archive.ics.uci.edu/ml/machine-learning-databases/semeion/"
USPS_HOME = "https://hastie.su.domains/ElemStatLearn/datasets/"  # published with The Elements of Statistical Learning
CONTENT = {  # file name: (SHA-256 of its content, size as published or 0); the names are digits.training.data's
    "train-images-idx3-ubyte": ("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 9_912_422),
    "train-labels-idx1-ubyte": ("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 28_881),
    "t10k-images-idx3-ubyte": ("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 1_648_877),
    "t10k-labels-idx1-ubyte": ("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 4_542),
    SEMEION_FILE: ("8e0ce9435c3005eed03c83867f1426977adfa0e73a6c1d2faf83a0a37e19516c", 0),
    USPS_FILE: ("abc9f5c75b997cabe66b5d01727d5a681c69298e1641a8d37b55433a52129dc0", 1_829_071),
}
SOURCES = tuple(
    Source(f"mnist/{stem}.gz", f"{MNIST_HOME}{stem}.gz", *CONTENT[stem])
    for images, labels, _ in MNIST_FILES.values() for stem in (images, labels)
) + (Source(f"semeion/{SEMEION_FILE}", SEMEION_HOME + SEMEION_FILE, *CONTENT[SEMEION_FILE]),
     Source(f"usps/{USPS_FILE}", USPS_HOME + USPS_FILE, *CONTENT[USPS_FILE]))

Progress = Callable[[str, int, int], None]  # (file, bytes so far, bytes in all or 0 when unknown)


def cache_dir() -> Path:
    """Where `fetch` stores the data unless told otherwise: DIGITS_DATA, else the user's cache."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digits"


def _complete(folder: Path) -> bool:
    return all((folder / source.path).is_file() for source in SOURCES)


def find_data(given: Path | None = None) -> Path:
    """The data folder: `given` (--data), then DIGITS_DATA, then the cache; a one-line error if none holds it."""
    if given is not None:
        return Path(given)  # the loaders say what is missing in a folder the user named
    if os.environ.get(ENV):
        folder = Path(os.environ[ENV])
        if not _complete(folder):
            raise DataError(f"{ENV}={folder} does not hold mnist/, semeion/ and usps/; run `digits data fetch` to fill "
                            "it")
        return folder
    folder = cache_dir()
    if not _complete(folder):
        raise DataError(f"no data found: run `digits data fetch` (into {folder}), set {ENV}, or pass --data DIR")
    return folder


def content_sha256(path: Path, gz: bool) -> str:
    """SHA-256 of what a file holds, not of its bytes: mirrors recompress MNIST and reformat Semeion's text."""
    if not gz:
        images, labels = read_semeion(path.read_bytes(), path)
        return hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, source: Source) -> bool:
    """Whether `path` holds `source`'s content (a truncated or corrupt file does not)."""
    try:
        return content_sha256(path, source.path.endswith(".gz")) == source.sha256
    except (OSError, EOFError, zlib.error, DataError):  # gzip.BadGzipFile is an OSError
        return False


def _download(url: str, into: Path, name: str, size: int, progress: Progress | None) -> None:
    import urllib.error  # here: every command imports this module, only `data fetch` downloads
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(into, "wb") as f:
            total, done = int(response.headers.get("Content-Length") or size), 0
            while block := response.read(CHUNK):
                f.write(block)
                done += len(block)
                if progress:
                    progress(name, done, total)
    except (urllib.error.URLError, OSError) as exc:  # HTTPError is a URLError
        raise DataError(f"{name}: download from {url} failed ({exc}); check the network or use --from MIRROR") from exc


def fetch(folder: Path, mirror: str | None = None, progress: Progress | None = None) -> list[Path]:
    """Download what is missing or wrong into `folder` (the CLI's default: `cache_dir()`); return the files downloaded.

    `mirror` is a base URL laid out like the data folder (`mirror/mnist/...`, `mirror/semeion/semeion.data`,
    `mirror/usps/zip.train.gz`).
    Each file goes to a temporary name beside its target and is renamed only once its SHA-256 matches.
    """
    folder = Path(folder)
    fetched = []
    for source in SOURCES:
        target = folder / source.path
        if target.is_file() and verified(target, source):
            continue
        url = mirror.rstrip("/") + "/" + source.path if mirror else source.url
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        except OSError as exc:
            raise DataError(f"{target.parent}: cannot write there ({exc.strerror}); choose another --dir") from exc
        os.close(fd)
        part = Path(name)
        try:
            _download(url, part, source.path, source.size, progress)
            if not verified(part, source):
                raise DataError(f"{source.path}: the file from {url} does not match its SHA-256 (corrupt or "
                                "incomplete download); nothing was kept, run the command again")
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        fetched.append(target)
    return fetched
