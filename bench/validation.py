"""Compare models on validation data only: digits held out of MNIST train, USPS, and non-digits never trained on.

Run: python bench/validation.py --data ../shared/data [--numbers] [--not-digit] MODEL.onnx [MODEL.onnx ...]
This is how the shipped model is chosen among training runs, so that MNIST test, Semeion and the benchmarks
stay untouched by the choice and their figures honest. The digits are the 5,000 held out of MNIST train,
clean, as scans, and as 12-20 px black-and-white scans (fax-like, or box-normalised forms) with their shape kept
or stretched to a square. `--numbers` also reads 2 x 600 numbers of 2-6 validation digits (seeds 7 and 8,
composed and rendered as bench/read_numbers.py does), written as they are and as stretched black-and-white
digits (Semeion's documented format), and prints the share read exactly right.
`--usps` also reads USPS (other writers, validation only) as stored, as black-and-white scans and stretched to a
square, with the gate set aside, and their mean: how issue 25's candidates were compared.
`--not-digit` measures what the gate trades, at each of THRESHOLDS: the share of digits accepted (`ok`) and
right, on the four renderings and on USPS (other writers, validation only; as stored and as scans), against the
share of non-digits passing as `ok`: the validation families (never trained on) and new drawings of the
training families (digits/training/negatives.py). A model without the gate is scored by 1 - confidence.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.read_numbers import render_number  # noqa: E402
from digits.config import Config  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.numbers import read_numbers  # noqa: E402
from digits.preprocess import Preprocessed, preprocess  # noqa: E402
from digits.results import NOT_DIGIT, OK, status_of  # noqa: E402
from digits.segment import segment  # noqa: E402
from digits.training.data import load_mnist, load_usps  # noqa: E402
from digits.training.negatives import non_digits  # noqa: E402
from digits.training.scanlike import render_bilevel, render_scan  # noqa: E402
from digits.training.train import split_validation  # noqa: E402

NUMBER_SEEDS = (7, 8)
NUMBERS_PER_SEED = 600
THRESHOLDS = (0.5, 0.7, 0.9)
UNSEEN, SEEN = 400, 125  # non-digits drawn per validation family, and per training family (new drawings)


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


def auroc(digits: np.ndarray, others: np.ndarray) -> float:
    """Probability that a random non-digit scores above a random digit (ties count half)."""
    scores = np.concatenate([digits, others])
    ranks = np.empty(len(scores))
    order = np.argsort(scores, kind="stable")
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average ranks of ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[len(digits):].sum() - len(others) * (len(others) + 1) / 2) / (len(digits) * len(others)))


def exactly_right(classifier: Classifier, numbers: dict) -> list[float]:
    """Per number set, the share read exactly right."""
    return [np.mean([r.text == text for r, (_, text) in
                     zip(read_numbers([c[0] for c in cases], classifier), cases, strict=True)])
            for cases in numbers.values()]


class Shifted(Classifier):
    """A model with the gate, its logit shifted by `shift` as `export --gate-shift` would build it (emulated)."""

    def __init__(self, base: Classifier, shift: float):
        self.__dict__.update(base.__dict__)
        self.shift = shift

    def scores(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        probs, p = super().scores(inputs)
        p = p.astype(np.float64)
        members = probs / (1 - p)[:, None]
        shifted = 1 / (1 + np.exp(-(np.log(p) - np.log1p(-p) + self.shift)))
        return (members * (1 - shifted)[:, None]).astype(np.float32), shifted.astype(np.float32)


def not_digit_report(classifier: Classifier, digit_sets: dict, non_digit_sets: dict, numbers: dict,
                     cfg: Config) -> list[str]:
    """Lines: per threshold, digits accepted and right per set, non-digits passing as ok, numbers read exactly
    right; then AUROC and (a) per non-digit set."""
    read = {name: classifier.classify(seen) for name, (seen, _) in digit_sets.items()}
    others = {name: classifier.classify(seen) for name, seen in non_digit_sets.items()}
    score = lambda p: p.not_digit if p.not_digit is not None else 1 - p.confidence  # noqa: E731
    lines = []
    for t in THRESHOLDS if classifier.rejects else (1.0,):
        right = [np.mean([status_of(p, cfg.min_confidence, t) == OK and p.digit == y
                          for p, y in zip(read[name], labels, strict=True)])
                 for name, (_, labels) in digit_sets.items()]
        passing = [np.mean([status_of(p, cfg.min_confidence, t) == OK for p in ps]) for ps in others.values()]
        exact = exactly_right(classifier, numbers) if numbers else []
        called = lambda ps, t=t: np.mean([status_of(p, cfg.min_confidence, t) == NOT_DIGIT for p in ps])  # noqa: E731
        said = (f"  called not a digit: digits {called([p for ps in read.values() for p in ps]):.2%}, "
                + ", ".join(f"{name} {called(ps):.2%}" for name, ps in others.items()))
        lines.append(f"  t={t:<4} " + " ".join(f"{a:9.2%}" for a in right)
                     + f" {np.mean(right[:2]):11.3%}" + "".join(f" {a:14.2%}" for a in passing)
                     + "".join(f" {a:17.2%}" for a in exact) + said)
    digit_scores = np.array([score(p) for ps in read.values() for p in ps])
    for name, ps in others.items():
        s = np.array([score(p) for p in ps])
        cut = np.quantile(digit_scores, 0.995)
        lines.append(f"  {name}: AUROC {auroc(digit_scores, s):.4f}; passing at 99.5% of digits accepted "
                     f"(a) {np.mean(s < cut):.2%}")
    return lines


def usps_renderings(data: Path) -> dict[str, tuple[list[Preprocessed], np.ndarray]]:
    """USPS's 7,291 digits as stored, as 12-20 px black-and-white scans and stretched to a square (seeds 12, 11)."""
    usps = load_usps(data)
    bilevel, stretched = np.random.default_rng(12), np.random.default_rng(11)
    return {"as stored": ([preprocess(d) for d in usps.images], usps.labels),
            "bilevel": ([preprocess(render_bilevel(d, bilevel)) for d in usps.images], usps.labels),
            "stretched": ([preprocess(render_bilevel(d, stretched, stretch=True)) for d in usps.images], usps.labels)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--numbers", action="store_true", help="also read validation numbers (slower)")
    parser.add_argument("--not-digit", action="store_true", help="what the gate trades, on digits and non-digits")
    parser.add_argument("--usps", action="store_true",
                        help="also USPS (other writers): as stored, as bilevel scans, stretched; and their mean")
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.0],
                        help="with --not-digit: also emulate these shifts of the gate's logit (export --gate-shift)")
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
    digit_sets, non_digit_sets = {}, {}
    if args.not_digit:
        usps = load_usps(args.data)
        digit_sets = {name: (seen, labels) for name, seen in renderings.items()} | {
            "USPS": ([preprocess(d) for d in usps.images], usps.labels),
            "USPS scans": ([preprocess(render_scan(d, rng(i))) for i, d in enumerate(usps.images)], usps.labels)}
        unseen, _, _ = non_digits("validation", UNSEEN, seed=11)
        seen, _, _ = non_digits("train", SEEN, seed=12, digits=train.images[val])
        as_seen = lambda images: [Preprocessed(x, False, True, None) for x in images]  # noqa: E731  already framed
        non_digit_sets = {"unseen families": as_seen(unseen), "training families": as_seen(seen)}
    others = usps_renderings(args.data) if args.usps else {}
    print(f"{len(val)} validation digits        " + " ".join(f"{name:>9s}" for name in renderings)
          + f" {'clean+scans':>11s} {'all four':>9s}" + "".join(f" {name:>17s}" for name in numbers))
    for model in args.models:
        classifier = Classifier(model)
        accuracy = [np.mean([p.digit == y for p, y in zip(classifier.classify(seen), labels, strict=True)])
                    for seen in renderings.values()]
        exact = exactly_right(classifier, numbers)
        print(f"{str(model):32s} " + " ".join(f"{a:9.2%}" for a in accuracy)
              + f" {np.mean(accuracy[:2]):11.3%} {np.mean(accuracy):9.3%}" + "".join(f" {a:17.2%}" for a in exact))
        if others:
            read = [np.mean([p.digit == y for p, y in zip(classifier.classify(seen), y_true, strict=True)])
                    for seen, y_true in others.values()]
            print("  USPS (readers): " + "  ".join(f"{name} {a:.2%}" for name, a in zip(others, read, strict=True))
                  + f"  mean {np.mean(read):.3%}")
        if args.not_digit:
            print("  ok and right:" + " ".join(f"{name:>9s}" for name in digit_sets) + f" {'clean+scans':>11s}"
                  + "".join(f" {name + ' ok':>14s}" for name in non_digit_sets)
                  + "".join(f" {name:>17s}" for name in numbers))
            for shift in args.shifts if classifier.rejects else [0.0]:
                print(f"  shift {shift:+g}:" if classifier.rejects else "  (no gate)")
                gated = Shifted(classifier, shift) if shift else classifier
                print("\n".join(not_digit_report(gated, digit_sets, non_digit_sets, numbers, cfg)))


if __name__ == "__main__":
    main()
