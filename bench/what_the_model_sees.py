"""Figure for the README: scan-like photos of digits, the 28x28 the model sees, and what it reads.

Run: python bench/what_the_model_sees.py --data ../shared/data   (writes docs/what_the_model_sees.png)
The digits are MNIST test digits (never trained on) rendered as scans by digits/training/scanlike.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.inference import Classifier  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402
from digits.training.plots import pyplot  # noqa: E402
from digits.training.scanlike import render_scan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "what_the_model_sees.png")
    args = parser.parse_args()
    test = load_mnist(args.data, "test")
    rng = np.random.default_rng(7)
    picks = [int(rng.choice(np.flatnonzero(test.labels == d))) for d in range(10)]
    scans = [render_scan(test.images[i], rng) for i in picks]
    predictions = Classifier().predict(scans)

    plt = pyplot()
    fig, axes = plt.subplots(2, 10, figsize=(13, 3.4), gridspec_kw={"height_ratios": [1.25, 1]})
    for col, (scan, pred, i) in enumerate(zip(scans, predictions, picks, strict=True)):
        axes[0, col].imshow(np.asarray(scan))
        axes[0, col].set_title(f"{scan.width}x{scan.height}", fontsize=8)
        axes[1, col].imshow(pred.seen.image, cmap="gray", vmin=0, vmax=1)
        ok = "" if pred.digit == test.labels[i] else f" (true {test.labels[i]})"
        axes[1, col].set_title(f"reads {pred.digit}  {pred.confidence:.0%}{ok}", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("input", fontsize=9)
    axes[1, 0].set_ylabel("model sees", fontsize=9)
    title = "MNIST test digits rendered as scans (pen, paper, light, grain, blur) -> one preprocessing -> the CNN"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
