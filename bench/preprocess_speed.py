"""Preprocessing throughput on one core: images/s for 28-300 px scan-like images and for raw MNIST digits.

Run: python bench/preprocess_speed.py --data ../shared/data
Builds the images first (not timed), then times `preprocess` over all of them, 5 times; prints the median.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: numpy's LAPACK (the light fit) must not spread
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.preprocess import preprocess  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402
from digits.training.scanlike import render_scan  # noqa: E402


def rate(images: list, repeats: int = 5) -> float:
    """Median images/s of `preprocess` over `images`."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for image in images:
            preprocess(image)
        runs.append(len(images) / (time.perf_counter() - start))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding mnist/")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    test = load_mnist(args.data, "test")
    rng = np.random.default_rng(0)
    sides = rng.integers(28, 301, (args.count, 2))
    scans = [render_scan(test.images[i], rng, (int(w), int(h))) for i, (w, h) in enumerate(sides)]
    print(f"one core, {args.count} images each, median of 5 runs")
    print(f"scan-like RGB, 28-300 px per side: {rate(scans):8.0f} images/s")
    print(f"MNIST 28x28 uint8:                 {rate(list(test.images[: args.count])):8.0f} images/s")


if __name__ == "__main__":
    main()
