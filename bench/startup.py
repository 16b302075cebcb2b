"""Start-up cost: `cli.py predict` on one image vs `python -c "import tensorflow"`, whole processes.

Run: python bench/startup.py
Each command runs 7 times alternately; prints medians and their ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "seven.png"
        canvas = np.full((120, 120), 255, np.uint8)
        canvas[30:36, 30:90] = 0
        canvas[36:95, 70:76] = 0
        Image.fromarray(canvas).save(image)
        commands = {
            "cli.py predict one.png": [sys.executable, "cli.py", "predict", str(image)],
            "import tensorflow": [sys.executable, "-c", "import tensorflow"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(7):
            for name, command in commands.items():
                times[name].append(timed(command))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"{name:24s} median {median:6.2f} s  (7 runs)")
    ratio = medians["cli.py predict one.png"] / medians["import tensorflow"]
    print(f"ratio: predict takes {ratio:.2f}x the time of import tensorflow")


if __name__ == "__main__":
    main()
