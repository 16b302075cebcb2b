"""Write examples/scans/: 30 small scan-like images of MNIST test digits (3 per digit), in five formats.

Run: python bench/make_examples.py --data ../shared/data
File names start with the true digit (`7_0.png`), so a glance at `preds.csv` shows whether it is right.
MNIST is CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges); these renderings carry the same license.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.training.data import load_mnist  # noqa: E402
from digits.training.scanlike import FORMATS, render_scan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "scans")
    args = parser.parse_args()
    test = load_mnist(args.data, "test")
    rng = np.random.default_rng(2026)
    args.out.mkdir(parents=True, exist_ok=True)
    for digit in range(10):
        for k, index in enumerate(rng.choice(np.flatnonzero(test.labels == digit), 3, replace=False)):
            size = (int(rng.integers(90, 151)), int(rng.integers(90, 151)))
            fmt = list(FORMATS)[(digit * 3 + k) % len(FORMATS)]
            image = render_scan(test.images[index], rng, size)
            image.save(args.out / f"{digit}_{k}.{fmt}", **FORMATS[fmt])
    print(f"wrote 30 images to {args.out}")


if __name__ == "__main__":
    main()
