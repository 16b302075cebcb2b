"""Accuracy on MNIST test digits as low-resolution black-and-white scans (fax-like, box-normalised forms).

Run: python bench/bilevel.py --data ../shared/data [--model PATH]
Each digit is redrawn 12-20 px high with no grey levels (digits/training/scanlike.py, seeded per digit), its
shape kept or stretched to a square, then read through the one preprocessing path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.config import DEFAULT_MODEL  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402
from digits.training.evaluate import evaluate  # noqa: E402
from digits.training.scanlike import render_bilevel  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    test = load_mnist(args.data, "test")
    classifier = Classifier(args.model)
    print(f"{len(test.labels):,} MNIST test digits as 12-20 px black-and-white scans ({args.model.name})")
    for stretch, name in ((False, "shape kept"), (True, "stretched to a square")):
        seen = [render_bilevel(d, np.random.default_rng(i), stretch) for i, d in enumerate(test.images)]
        ev = evaluate(classifier, seen, test.labels, name)
        print(f"  {name:24s} {ev.accuracy:.2%}")


if __name__ == "__main__":
    main()
