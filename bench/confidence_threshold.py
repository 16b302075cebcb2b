"""Choose `--min-confidence`: rows flagged for review vs mistakes caught, per threshold.

Run: python bench/confidence_threshold.py --data ../shared/data
Uses the 5,000 validation digits held out of MNIST train (never trained on, and not the test
sets, so the test figures stay honest), rendered as scans by digits/training/scanlike.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.config import Config  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402
from digits.training.scanlike import render_scan  # noqa: E402
from digits.training.train import split_validation  # noqa: E402

THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    cfg = Config()
    train = load_mnist(args.data, "train")
    _, val = split_validation(train.labels, cfg.val_size, cfg.seed)
    rng = np.random.default_rng(11)
    predictions = Classifier().predict([render_scan(train.images[i], rng) for i in val])
    labels = train.labels[val]
    confidence = np.array([p.confidence for p in predictions])
    wrong = np.array([p.digit != label for p, label in zip(predictions, labels, strict=True)])
    print(f"{len(val)} validation digits as scans: accuracy {1 - wrong.mean():.2%} ({wrong.sum()} mistakes)")
    print(f"{'min-confidence':>15s} {'rows flagged':>13s} {'mistakes caught':>16s} {'accuracy of the rest':>21s}")
    for t in THRESHOLDS:
        flagged = confidence < t
        rest = ~flagged
        caught = (wrong & flagged).sum() / max(wrong.sum(), 1)
        print(f"{t:15.2f} {flagged.mean():13.2%} {caught:16.0%} {1 - wrong[rest].mean():21.3%}")


if __name__ == "__main__":
    main()
