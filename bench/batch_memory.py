"""Memory of `cli.py batch` as the folder grows: peak RSS for 1,000, 10,000 and 100,000 files.

Run: python bench/batch_memory.py --data ../shared/data
Writes MNIST test digits as small PNGs (28x28, dark on light) into one flat folder, then runs the
CLI on folders of links to the first 1,000, 10,000 and all 100,000 of them. Prints, for each run,
the peak resident memory of the main process and of all its processes together (sampled every
0.2 s), and the time taken.
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
from digits.training.data import load_mnist  # noqa: E402

SIZES = [1_000, 10_000, 100_000]


def peaks(command: list[str]) -> tuple[int, int]:
    """Run `command`; sample every 0.2 s the resident memory (MB) of its main process and of all its processes."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    main_peak = total_peak = 0
    while process.poll() is None:
        sizes = {pid: _rss(pid) for pid in [process.pid, *_children(process.pid)]}
        main_peak = max(main_peak, sizes[process.pid])
        total_peak = max(total_peak, sum(sizes.values()))
        time.sleep(0.2)
    return main_peak, total_peak


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss(pid: int) -> int:
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS"))
        return int(line.split()[1]) // 1024
    except (OSError, StopIteration):
        return 0


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
        print(f"{'files':>8s} {'main process MB':>16s} {'all processes MB':>17s} {'seconds':>8s} {'images/s':>9s}")
        for size in SIZES:
            folder = Path(tmp) / f"first{size}"
            folder.mkdir()
            for name in names[:size]:
                os.symlink(files / name, folder / name)
            command = [sys.executable, "cli.py", "batch", str(folder), "-q", "--out", str(Path(tmp) / "out.csv")]
            start = time.perf_counter()
            main_peak, total_peak = peaks(command)
            seconds = time.perf_counter() - start
            print(f"{size:8,d} {main_peak:16d} {total_peak:17d} {seconds:8.1f} {size / seconds:9.0f}")

if __name__ == "__main__":
    main()
