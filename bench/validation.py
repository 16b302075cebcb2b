"""Compare models on the validation digits only (held out of MNIST train): clean, as scans, as bilevel scans.

Run: python bench/validation.py --data ../shared/data [--numbers] MODEL.onnx [MODEL.onnx ...]
This is how the shipped model is chosen among training runs, so that MNIST test and Semeion stay
untouched by the choice and their figures honest. The bilevel renderings are 12-20 px black-and-white
scans (fax-like, or box-normalised forms), the digit's shape kept or stretched to a square.
`--numbers` also reads 2 x 600 numbers of 2-6 validation digits (seeds 7 and 8, composed and rendered
as bench/read_numbers.py does), written as they are and as stretched black-and-white digits
(Semeion's documented format), and prints the share read exactly right.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.read_numbers import render_number  # noqa: E402
from bench.scanlike import render_bilevel, render_scan  # noqa: E402
from digits.config import Config  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.numbers import read_numbers  # noqa: E402
from digits.preprocess import preprocess  # noqa: E402
from digits.segment import segment  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402
from digits.training.train import split_validation  # noqa: E402

NUMBER_SEEDS = (7, 8)
NUMBERS_PER_SEED = 600


def number_sets(images: np.ndarray, labels: np.ndarray, val: np.ndarray) -> dict[str, list[tuple[list, str]]]:
    """{"numbers": [...], "stretched numbers": [...]}: (segmented image, true string) for each validation number."""
    sets: dict[str, list[tuple[list, str]]] = {"numbers": [], "stretched numbers": []}
    for kind, cases in sets.items():
        for seed in NUMBER_SEEDS:
            rng = np.random.default_rng(seed)
            for _ in range(NUMBERS_PER_SEED):
                picks = val[rng.integers(0, len(val), int(rng.integers(2, 7)))]
                digits = [images[i] if kind == "numbers" else render_bilevel(images[i], rng, stretch=True)
                          for i in picks]
                image, _ = render_number(digits, rng)
                cases.append((segment(image), "".join(str(labels[i]) for i in picks)))
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--numbers", action="store_true", help="also read validation numbers (slower)")
    parser.add_argument("models", type=Path, nargs="+")
    args = parser.parse_args()
    cfg = Config()
    train = load_mnist(args.data, "train")
    _, val = split_validation(train.labels, cfg.val_size, cfg.seed)
    labels = train.labels[val]
    rng = lambda i: np.random.default_rng(int(i))  # noqa: E731  the same rendering of each digit every run
    renderings = {
        "clean": [preprocess(train.images[i]) for i in val],
        "as scans": [preprocess(render_scan(train.images[i], rng(i))) for i in val],
        "bilevel": [preprocess(render_bilevel(train.images[i], rng(i))) for i in val],
        "stretched": [preprocess(render_bilevel(train.images[i], rng(i), stretch=True)) for i in val],
    }
    numbers = number_sets(train.images, train.labels, val) if args.numbers else {}
    print(f"{len(val)} validation digits        " + " ".join(f"{name:>9s}" for name in renderings)
          + f" {'clean+scans':>11s} {'all four':>9s}" + "".join(f" {name:>17s}" for name in numbers))
    for model in args.models:
        classifier = Classifier(model)
        accuracy = [np.mean([p.digit == y for p, y in zip(classifier.classify(seen), labels, strict=True)])
                    for seen in renderings.values()]
        exact = [np.mean([r.text == text for r, (_, text) in
                          zip(read_numbers([c[0] for c in cases], classifier), cases, strict=True)])
                 for cases in numbers.values()]
        print(f"{str(model):32s} " + " ".join(f"{a:9.2%}" for a in accuracy)
              + f" {np.mean(accuracy[:2]):11.3%} {np.mean(accuracy):9.3%}" + "".join(f" {a:17.2%}" for a in exact))


if __name__ == "__main__":
    main()
