"""Non-digits no model here has seen: how many pass as a confident digit, and what rejecting them costs digits.

Run: python bench/not_a_digit.py --data ../shared/data [--model M.onnx] [--baseline B.onnx] [--picture P.png]
The held-out non-digits are the benchmark families of digits/training/negatives.py (joined-up script fonts,
Hershey's script faces, stars, arrows, spirals: never trained on, never used to choose anything), 600 of each
drawn clean and 600 as scans, through the one preprocessing path. The digits: MNIST test and Semeion (never
trained on), USPS (validation only, reported), and the batch benchmark's scans and clean renderings
(bench/batch_speed.py's files). For the model and the baseline side by side (default: the shipped model, and its
readers alone, as shipped before the gate), at their default thresholds: the share of non-digits passing as
`ok`, per family; the share of digits accepted (`ok`) and right; the AUROC of the not-a-digit score (1 -
confidence for a model without the gate); the share of non-digits passing at the score that accepts 95% of
digits. Measured once, for the model that ships. `--picture` draws examples of each family as the model sees
them, with what the model says.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.batch_speed import build  # noqa: E402
from bench.validation import auroc  # noqa: E402
from digits.config import DEFAULT_MODEL, Config  # noqa: E402
from digits.engines.common import load  # noqa: E402
from digits.inference import Classifier, Prediction  # noqa: E402
from digits.preprocess import Preprocessed, preprocess  # noqa: E402
from digits.reader import reader_for  # noqa: E402
from digits.results import NOT_DIGIT, OK, status_of  # noqa: E402
from digits.training.data import load_mnist, load_semeion, load_usps  # noqa: E402
from digits.training.negatives import families, render  # noqa: E402

PER_FAMILY = 600  # drawings of each held-out family, clean; as many again as scans
SEED = 2024


def readers_alone(model: Path) -> bytes:
    """The model's digit readers without its gate, as shipped before it (needs onnx, from the train extra)."""
    import onnx

    from digits.training.export_gate import readers_of

    return readers_of(onnx.load(model)).SerializeToString()


def held_out() -> dict[str, list[Preprocessed]]:
    """{family: its drawings as the model sees them}, each family clean then as scans."""
    out = {}
    for k, family in enumerate(f for f in families() if f.split == "benchmark"):
        images = [render(family, PER_FAMILY, SEED + 10 * k + scans, scan_share=scans) for scans in (0, 1)]
        out[family.name] = [Preprocessed(x, False, True, None) for x in np.concatenate(images)]
    return out


def digit_sets(data: Path, folder: Path) -> dict[str, tuple[list[Preprocessed], np.ndarray]]:
    """{set: (what the model sees, labels)} for every digit set the figures are given on."""
    mnist, semeion, usps = load_mnist(data, "test"), load_semeion(data), load_usps(data)
    labels = build(data, folder)  # the batch benchmark's files, as bench/batch_speed.py writes them
    names = sorted(labels)
    sets = {name: ([preprocess(d) for d in split.images], split.labels) for name, split in
            (("MNIST test", mnist), ("Semeion", semeion), ("USPS (validation)", usps))}
    for sub in ("scans", "clean"):
        seen = [load(folder / sub / name, Config.max_pixels, reader_for(Config()))[0] for name in names]
        sets[f"batch benchmark {sub}"] = (seen, np.array([labels[name] for name in names]))
    return sets


def score(p: Prediction) -> float:
    return p.not_digit if p.not_digit is not None else 1 - p.confidence


def report(classifier: Classifier, others: dict, digits: dict, cfg: Config) -> dict[str, str]:
    """Every figure, formatted, by row name."""
    ok = lambda p: status_of(p, cfg.min_confidence, cfg.not_digit_threshold) == OK  # noqa: E731
    read_others = {name: classifier.classify(seen) for name, seen in others.items()}
    read_digits = {name: (classifier.classify(seen), labels) for name, (seen, labels) in digits.items()}
    rows = {"non-digits passing as ok (all)": f"{np.mean([ok(p) for ps in read_others.values() for p in ps]):.2%}"}
    rows |= {f"  {name}": f"{np.mean([ok(p) for p in ps]):.2%}" for name, ps in read_others.items()}
    for name, (ps, labels) in read_digits.items():
        right = [ok(p) and p.digit == y for p, y in zip(ps, labels, strict=True)]
        rows[f"{name}: ok and right"] = f"{np.mean(right):.2%}"
    digit_scores = np.array([score(p) for ps, _ in read_digits.values() for p in ps])
    other_scores = np.array([score(p) for ps in read_others.values() for p in ps])
    rows["AUROC of the not-a-digit score"] = f"{auroc(digit_scores, other_scores):.4f}"
    cut = np.quantile(digit_scores, 0.95)
    rows["non-digits passing at 95% of digits accepted"] = f"{np.mean(other_scores < cut):.2%}"
    return rows


def picture(classifier: Classifier, others: dict, cfg: Config, path: Path) -> None:
    """Twelve drawings of each held-out family as the model sees them, with what it says."""
    from digits.training.plots import pyplot

    plt = pyplot()
    columns = 12
    fig, axes = plt.subplots(len(others), columns, figsize=(columns * 0.9, len(others) * 1.15))
    for row, (name, seen) in enumerate(others.items()):
        picks = [seen[i] for i in np.linspace(0, len(seen) - 1, columns).astype(int)]  # clean ones, then scans
        for ax, s, p in zip(axes[row], picks, classifier.classify(picks), strict=True):
            status = status_of(p, cfg.min_confidence, cfg.not_digit_threshold)
            ax.imshow(s.image, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            said = "not a digit" if status == NOT_DIGIT else f"{p.digit} ({p.confidence:.0%})"
            ax.set_title(said, fontsize=7, color="firebrick" if status == OK else "black")
        axes[row][0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle("Held-out non-digits as the model sees them (red: passed as a confident digit)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--baseline", type=Path, help="default: the model's readers alone (as before the gate)")
    parser.add_argument("--picture", type=Path, help="write examples of each held-out family here (PNG)")
    args = parser.parse_args()
    cfg = Config()
    model = Classifier(args.model)
    baseline = Classifier(args.baseline or readers_alone(args.model))
    others = held_out()
    with tempfile.TemporaryDirectory() as tmp:
        digits = digit_sets(args.data, Path(tmp))
    figures = [report(c, others, digits, cfg) for c in (model, baseline)]
    count = sum(len(seen) for seen in others.values())
    print(f"{count:,} held-out non-digits ({len(others)} families, {PER_FAMILY} clean + {PER_FAMILY} as scans each); "
          f"thresholds: min-confidence {cfg.min_confidence}, not-digit {cfg.not_digit_threshold}")
    print(f"{'':52s} {args.model.name:>14s} {(args.baseline.name if args.baseline else 'readers alone'):>14s}")
    for row in figures[0]:
        print(f"{row:52s} {figures[0][row]:>14s} {figures[1][row]:>14s}")
    if args.picture:
        picture(model, others, cfg, args.picture)
        print(f"wrote {args.picture}")


if __name__ == "__main__":
    main()
