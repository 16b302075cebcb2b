"""Digits on notebook paper and in form boxes: accuracy per kind of paper, as scans and as photos.

Run: python bench/ruled_paper.py --data ../shared/data [--split validation|test] [--count 500] [--model M]
     [--picture docs/paper_lines.png]
Draws each digit on every kind of paper in bench/paper.py (plain, lined, squared, dotted, a form box, a comb
field) with the same place, size and light, as a scan and as a phone photo, and reads it through the one
preprocessing path twice, side by side in one run: with the paper's lines cleared (`--paper-lines`,
`preprocess(..., paper_lines=True)`), and left in (the default). `--split validation` draws from the 5,000 digits
held out of MNIST train (to tune the line removal on); `test` from MNIST test and Semeion (the benchmark: measured
once, after). Also prints the preprocessing's CPU time per image with and without the clearing. `--picture`
draws the first digits on every paper, each beside what the model sees with the lines cleared and left in.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.paper import KINDS, on_paper_kind  # noqa: E402
from digits.config import DEFAULT_MODEL, Config  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.preprocess import preprocess  # noqa: E402
from digits.training.data import load_mnist, load_semeion  # noqa: E402
from digits.training.train import split_validation  # noqa: E402


def sources(data: Path, split: str, count: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{name: (digits (N, H, W) uint8 ink 255 on 0, labels)}: `count` of each source, drawn with `seed`."""
    rng = np.random.default_rng(seed)
    if split == "validation":
        train = load_mnist(data / "mnist", "train")
        _, val = split_validation(train.labels, Config.val_size, Config.seed)
        pick = rng.choice(val, min(count, len(val)), replace=False)
        return {"MNIST validation": (train.images[pick], train.labels[pick])}
    test, semeion = load_mnist(data / "mnist", "test"), load_semeion(data / "semeion")
    out = {}
    for name, digits in (("MNIST test", test), ("Semeion", semeion)):
        pick = rng.choice(len(digits.labels), min(count, len(digits.labels)), replace=False)
        out[name] = (digits.images[pick], digits.labels[pick])
    return out


def picture(digits: np.ndarray, path: Path, seed: int) -> None:
    """A grid: per digit a row of scans and a row of photos, each paper a tile of the picture and the model's views
    with the lines cleared (left) and left in (right)."""
    tile = 150
    rows = []
    for digit in digits:
        for photo in (False, True):
            row = Image.new("RGB", (tile * len(KINDS), tile + tile // 2), "white")
            for k, kind in enumerate(KINDS):
                image = on_paper_kind(digit, kind, np.random.default_rng(seed), photo)
                thumb = image.copy()
                thumb.thumbnail((tile - 6, tile - 6))
                row.paste(thumb, (k * tile + 3, 3))
                views = np.concatenate([preprocess(image, paper_lines=True).image, preprocess(image).image], axis=1)
                view = Image.fromarray((views * 255).astype(np.uint8)).convert("RGB")
                row.paste(view.resize((tile - 6, (tile - 6) // 2), Image.NEAREST), (k * tile + 3, tile))
            rows.append(row)
    grid = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, row in enumerate(rows):
        grid.paste(row, (0, i * row.height))
    grid.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--count", type=int, default=500, help="digits per source")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--picture", type=Path, help="also draw the first 2 digits on every paper into this PNG")
    args = parser.parse_args()
    classifier = Classifier(args.model, gate=False)  # the readers' argmax: the gate is measured elsewhere
    seed = 25 if args.split == "validation" else 2025
    times: dict[tuple[str, bool], list[float]] = {(kind, rules): [] for kind in KINDS for rules in (True, False)}
    print(f"{args.split}: {args.count} digits per source, each on every paper; accuracy with the lines cleared "
          f"(left in)\n")
    drawn = sources(args.data, args.split, args.count, seed)
    if args.picture:
        picture(next(iter(drawn.values()))[0][:2], args.picture, seed)
    for name, (digits, labels) in drawn.items():
        print(f"{name:<18}" + "".join(f"{kind:>17}" for kind in KINDS))
        for photo in (False, True):
            cells = []
            for kind in KINDS:
                rng = np.random.default_rng(seed)  # the same draws for every kind: only the lines differ
                images = [on_paper_kind(d, kind, rng, photo) for d in digits]
                right = {}
                for rules in (True, False):
                    start = time.process_time()
                    inputs = np.stack([preprocess(image, paper_lines=rules).image for image in images])[..., None]
                    times[kind, rules].append((time.process_time() - start) / len(images))
                    right[rules] = float((classifier.scores(inputs)[0].argmax(axis=1) == labels).mean())
                cells.append(f"{100 * right[True]:6.2f}% ({100 * right[False]:6.2f}%)")
            print(f"{'  photos' if photo else '  scans':<18}" + "".join(f"{c:>17}" for c in cells))
        print()
    print("preprocessing, CPU ms per image (median over sources and scans/photos): with the removal (without)")
    cells = [f"{statistics.median(times[k, True]) * 1e3:.2f} ({statistics.median(times[k, False]) * 1e3:.2f})"
             for k in KINDS]
    print(" " * 18 + "".join(f"{c:>17}" for c in cells))


if __name__ == "__main__":
    main()
