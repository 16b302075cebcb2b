"""Memory of `cli.py batch` as the folder grows: peak RSS for 1,000, 10,000 and 100,000 files.

Run: python bench/batch_memory.py --data ../shared/data
Writes MNIST test digits as small PNGs (28x28, dark on light) into one flat folder, then runs the
CLI on folders of links to the first 1,000, 10,000 and all 100,000 of them. Prints, for each run,
the largest resident set of any of its processes (main or worker) and the time taken.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.data import load_mnist  # noqa: E402

SIZES = [1_000, 10_000, 100_000]
PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=False, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    test = load_mnist(args.data, "test")
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp) / "all"
        files.mkdir()
        for i in range(SIZES[-1]):
            Image.fromarray(255 - test.images[i % len(test.images)]).save(files / f"{i:06d}.png")
        names = sorted(os.listdir(files))
        print(f"{'files':>8s} {'peak RSS (MB)':>14s} {'seconds':>8s} {'images/s':>9s}")
        for size in SIZES:
            folder = Path(tmp) / f"first{size}"
            folder.mkdir()
            for name in names[:size]:
                os.symlink(files / name, folder / name)
            command = [sys.executable, "cli.py", "batch", str(folder), "-q", "--out", str(Path(tmp) / "out.csv")]
            start = time.perf_counter()
            peak_kb = subprocess.run([sys.executable, "-c", PEAK, *command], cwd=ROOT, check=True,
                                     capture_output=True, text=True).stdout.strip()
            seconds = time.perf_counter() - start
            print(f"{size:8,d} {int(peak_kb) / 1024:14.0f} {seconds:8.1f} {size / seconds:9.0f}")


if __name__ == "__main__":
    main()
