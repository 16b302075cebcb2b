"""Compare models on the validation digits only (held out of MNIST train): clean and rendered as scans.

Run: python bench/validation.py --data ../shared/data MODEL.onnx [MODEL.onnx ...]
This is how the shipped model is chosen among training runs, so that MNIST test and Semeion stay
untouched by the choice and their figures honest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scanlike import render_scan  # noqa: E402
from digits.config import Config  # noqa: E402
from digits.data import load_mnist  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.preprocess import preprocess  # noqa: E402
from digits.train import split_validation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("models", type=Path, nargs="+")
    args = parser.parse_args()
    cfg = Config()
    train = load_mnist(args.data, "train")
    _, val = split_validation(train.labels, cfg.val_size, cfg.seed)
    labels = train.labels[val]
    clean = [preprocess(train.images[i]) for i in val]
    scans = [preprocess(render_scan(train.images[i], np.random.default_rng(int(i)))) for i in val]
    print(f"{len(val)} validation digits   {'clean':>8s} {'as scans':>9s} {'mean':>8s}")
    for model in args.models:
        classifier = Classifier(model)
        accuracy = [np.mean([p.digit == y for p, y in zip(classifier.classify(seen), labels, strict=True)])
                    for seen in (clean, scans)]
        print(f"{str(model):26s} {accuracy[0]:8.2%} {accuracy[1]:9.2%} {np.mean(accuracy):8.3%}")


if __name__ == "__main__":
    main()
