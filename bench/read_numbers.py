"""Reading whole numbers: how often `cli.py batch --numbers` reads a handwritten number exactly right.

Run: python bench/read_numbers.py --data ../shared/data [--count 1000] [--split validation] [--mixed] [--model M]
     [--ruled] [--paper-lines]
Composes numbers of 2-6 digits from digits the model never trained on: the benchmark from MNIST test
and Semeion (one source per number, as one writer writes it; measured once, after a change is chosen);
`--split validation` from the 5,000 MNIST training digits held out to choose the epoch (another seed),
plain and, in Semeion's share, box-normalised (stretched into a 16x16 black-and-white box, as Semeion's
are): the only numbers to tune the number reader on, since Semeion is never tuned on. Both are written
side by side with gaps of varied width, about one pair in six touching or overlapping slightly, each
digit a little higher or lower on a slanted baseline, then rendered as scans (digits/training/scanlike.py:
pen, paper, light, grain, blur, slight rotation)
in PNG and JPEG. Prints exact-string accuracy overall, by length, with and without a touching pair,
per digit (strings aligned with difflib), what the misread numbers got wrong (the number of digits, or a
digit), the `ok` rows' accuracy, and the numbers/s of the whole CLI run. Beside each accuracy, about what any
cutting could reach with this digit model: the share of numbers whose every digit, rendered alone as a scan and
read through the one preprocessing path, is read right (not a strict bound: a digit misread alone may be read
right inside its number).
`--mixed` writes other numbers (own seed), each with one or two marks between its digits: a dash, a dot, or a
letter of Hershey's script faces (a family the gate never trained on); right means the digits alone, the marks
left out (`--numbers` rows name what was left out).
`--ruled` writes the same numbers on lined or squared paper (digits/training/scanlike.py `ruled`), and
`--paper-lines` reads them with `cli.py batch --paper-lines`.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.config import DEFAULT_MODEL, Config  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.preprocess import Preprocessed, preprocess  # noqa: E402
from digits.training.data import load_mnist, load_semeion  # noqa: E402
from digits.training.scanlike import on_paper  # noqa: E402
from digits.training.scanlike import ruled as scanlike_ruled  # noqa: E402
from digits.training.train import split_validation  # noqa: E402

TOUCHING = 1 / 6  # share of neighbouring pairs written touching or overlapping a little


def render_number(digits: list[np.ndarray], rng: np.random.Generator,
                  marks: dict[int, tuple[float, float]] | None = None) -> tuple[Image.Image, bool]:
    """(28, 28) or (16, 16) uint8 digits, ink 255 -> an RGB scan of them written side by side; and whether two touch.

    `marks` {index: (height, drop)}: the item at that index is a mark, not a digit (a dash, a dot, a letter): its
    height a share of the digits', dropped by a share of their height below their top line; it never touches.
    """
    marks = marks or {}
    height = float(rng.uniform(40, 110))  # the digits' height on the page, px
    slope = rng.uniform(-0.06, 0.06)  # a slanted baseline
    inks, gaps, touching = [], [], False
    for i, digit in enumerate(digits):
        ink = Image.fromarray(digit)
        ink = ink.crop(ink.getbbox() or (0, 0, ink.width, ink.height))
        scale = height * marks.get(i, (rng.uniform(0.9, 1.1), 0))[0] / ink.height
        inks.append(np.asarray(ink.resize((max(1, round(ink.width * scale)), round(ink.height * scale)),
                                          Image.BICUBIC), np.float32) / 255)
        if i:
            close = rng.random() < TOUCHING and i not in marks and i - 1 not in marks
            touching |= close
            gaps.append(-rng.uniform(0, 0.06) * height if close else rng.uniform(0.06, 0.5) * height)
    margin = int(rng.uniform(0.3, 1.0) * height)
    width = int(sum(ink.shape[1] for ink in inks) + sum(gaps)) + 2 * margin
    rise = abs(slope) * width
    alpha = np.zeros((int(1.3 * height + rise) + 2 * margin, width), np.float32)
    x = float(margin)
    for i, ink in enumerate(inks):
        y = margin + 0.15 * height + (slope * x if slope > 0 else rise + slope * x) + rng.uniform(-0.08, 0.08) * height
        y += marks.get(i, (0, 0))[1] * height
        top, left = max(int(y), 0), int(x)
        region = alpha[top : top + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(region, ink[: region.shape[0], : region.shape[1]], out=region)
        x += ink.shape[1] + (gaps[i] if i < len(gaps) else 0)
    tilted = Image.fromarray(alpha, mode="F").rotate(rng.uniform(-3, 3), resample=Image.BILINEAR, expand=True)
    return on_paper(np.clip(np.asarray(tilted), 0, 1), rng), touching


SEEDS = {"benchmark": 0, "validation": 1}


def boxed(digit: np.ndarray, side: int = 16) -> np.ndarray:
    """(28, 28) uint8 MNIST digit -> (side, side) black-and-white, its ink stretched to fill the box (at most 3x per
    axis, as the training's box filling), the way box-normalised forms such as Semeion's store digits."""
    ink = Image.fromarray(digit)
    ink = ink.crop(ink.getbbox() or (0, 0, 28, 28))
    width, height = min(side, 3 * ink.width), min(side, 3 * ink.height)
    frame = Image.new("L", (side, side))
    frame.paste(ink.resize((width, height), Image.BILINEAR), ((side - width) // 2, (side - height) // 2))
    return np.where(np.asarray(frame) > 127, 255, 0).astype(np.uint8)


def sources(data: Path, split: str) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], float]:
    """[(writers' name, images, labels)] for plain writers and box-normalised ones, and the latter's share of the
    numbers: the benchmark's Semeion share in both splits. Validation has no other writers to tune on (Semeion is
    evaluation only), so its box-normalised writers are its own held-out MNIST digits put through `boxed`."""
    mnist, semeion = load_mnist(data, "test"), load_semeion(data)
    share = len(semeion.labels) / (len(semeion.labels) + len(mnist.labels))  # their natural proportion
    if split == "benchmark":
        return [("MNIST", mnist.images, mnist.labels), ("Semeion", semeion.images, semeion.labels)], share
    train = load_mnist(data, "train")
    _, held_out = split_validation(train.labels, Config.val_size, Config.seed)  # never trained on
    images, labels = train.images[held_out], train.labels[held_out]
    return [("MNIST", images, labels), ("boxed MNIST", np.stack([boxed(d) for d in images]), labels)], share


def mark(kind: str, rng: np.random.Generator, split: str = "benchmark") -> tuple[np.ndarray, tuple[float, float]]:
    """A mark written between digits: (its ink, (height, drop) as render_number takes them). Letters come from
    families the gate never trained on: Hershey's script faces for the benchmark, hangul written with a pen for
    validation (a validation family: the benchmark's stay unseen until it is measured)."""
    from digits.training.glyphs import HERSHEY_CHARS, font_glyphs, render_glyph, render_hershey
    from digits.training.negatives import HANGUL, HANGUL_HANDS

    if kind == "dash":
        return np.full((3, int(rng.integers(9, 16))), 255, np.uint8), (rng.uniform(0.08, 0.14), rng.uniform(0.35, 0.5))
    if kind == "dot":
        ys, xs = np.mgrid[-5:6, -5:6]
        return np.where(ys**2 + xs**2 <= 25, 255, 0).astype(np.uint8), (rng.uniform(0.12, 0.2), 0.85)
    if split == "validation":
        font = HANGUL_HANDS[int(rng.integers(len(HANGUL_HANDS)))]
        chars = font_glyphs(font, HANGUL)
        return render_glyph(font, chars[int(rng.integers(len(chars)))], 64), (rng.uniform(0.8, 1.0), 0.0)
    letters = [c for c in HERSHEY_CHARS if c.isalpha() and c != "Q"]  # a script Q is written as a 2
    ink = render_hershey("script simplex", letters[int(rng.integers(len(letters)))], int(rng.integers(2, 5)))
    return ink, (rng.uniform(0.8, 1.0), 0.0)


MARKS = ("letter", "dash", "dot")


def build(data: Path, folder: Path, count: int, split: str = "benchmark",
          alone: dict[str, list[Preprocessed]] | None = None, mixed: bool = False, ruled: bool = False
          ) -> dict[str, tuple[str, bool, str, str]]:
    """Write `count` number scans to `folder`; return {file name: (true number, has a touching pair, source, marks)}.

    With `alone`, also fill it with each number's digits rendered one by one (own seed: the numbers stay the same).
    `mixed`: other numbers (own seed), each with one or two marks between its digits (`marks`: their kinds), which
    must be left out: the true number is its digits alone. `ruled`: each written on lined or squared paper (own seed).
    """
    pools, semeion_share = sources(data, split)
    seed = SEEDS[split] + 300 * mixed
    rng, own, paper = np.random.default_rng(seed), np.random.default_rng(seed + 100), np.random.default_rng(seed + 200)
    truth = {}
    for n in range(count):
        source = int(rng.random() < semeion_share)
        writers, images, labels = pools[source]
        picks = rng.integers(0, len(labels), int(rng.integers(2, 7)))
        inks, marks, kinds = [images[i] for i in picks], {}, []
        for where in sorted(rng.choice(np.arange(1, len(picks)), min(len(picks) - 1, int(rng.integers(1, 3))),
                                       replace=False))[::-1] if mixed else []:
            kinds.append(MARKS[int(rng.integers(len(MARKS)))])
            ink, marks[where] = mark(kinds[-1], rng, split)
            inks.insert(where, ink)
        marks = {i + sum(m < i for m in marks): h for i, h in marks.items()}  # where each mark ended up
        image, touching = render_number(inks, rng, marks)
        if ruled:  # rules or a grid about as far apart as the digits are high (the scan is ~2.6 heights high)
            image = scanlike_ruled(image, paper, image.height / 2.6)
        name = f"n{n:05d}.{'png' if n % 2 else 'jpg'}"
        image.save(folder / name, quality=90) if name.endswith("jpg") else image.save(folder / name)
        truth[name] = ("".join(str(int(labels[i])) for i in picks), touching, writers, " ".join(sorted(kinds)))
        if alone is not None:
            alone[name] = [preprocess(render_number([images[i]], own)[0]) for i in picks]
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--split", choices=sorted(SEEDS), default="benchmark")
    parser.add_argument("--mixed", action="store_true", help="numbers with letters, dashes or dots between digits")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--ruled", action="store_true", help="numbers written on lined or squared paper")
    parser.add_argument("--paper-lines", action="store_true", help="read them with cli.py batch --paper-lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "numbers", Path(tmp) / "read.csv"
        folder.mkdir()
        alone: dict[str, list[Preprocessed]] = {}
        truth = build(args.data, folder, args.count, args.split, alone, args.mixed, args.ruled)
        start = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "cli.py"), "batch", str(folder), "--numbers", "--out", str(out),
                        "--quiet", "--model", str(args.model), *(["--paper-lines"] if args.paper_lines else [])],
                       check=True)
        seconds = time.perf_counter() - start
        with out.open(newline="", encoding="utf-8") as f:
            rows = {row["path"]: row for row in csv.DictReader(f)}
    read = {name: row["prediction"] for name, row in rows.items()}
    seen = [digit for digits in alone.values() for digit in digits]
    each = iter(str(p.digit) for p in Classifier(args.model).classify(seen))
    ceiling = {name: "".join(next(each) for _ in digits) == truth[name][0] for name, digits in alone.items()}
    groups: dict[str, list[bool]] = defaultdict(list)
    ceilings: dict[str, list[bool]] = defaultdict(list)
    digits_right = digits_total = 0
    wrong = defaultdict(int)  # what the misread numbers got wrong
    for name, (text, touching, source, kinds) in truth.items():
        right = read[name] == text
        if not right:
            kind = ("too few digits" if len(read[name]) < len(text) else "too many digits"
                    if len(read[name]) > len(text) else "a digit misread")
            wrong[f"{kind}, {'touching pair' if touching else 'no touching pair'}"] += 1
        groups[rows[name]["status"] + " rows"].append(right)
        pair = "with a touching pair" if touching else "no touching pair"
        with_marks = (f"with a {k}" for k in set(kinds.split()))
        for group in ("all", f"{len(text)} digits", pair, f"{source} writers", *with_marks):
            groups[group].append(right)
            ceilings[group].append(ceiling[name])
        blocks = difflib.SequenceMatcher(None, text, read[name], autojunk=False).get_matching_blocks()
        digits_right += sum(b.size for b in blocks)
        digits_total += len(text)
    writers = "MNIST test and Semeion" if args.split == "benchmark" else "MNIST's held-out validation"
    marks = ", each with 1-2 marks between digits (a letter, a dash or a dot) to leave out" if args.mixed else ""
    paper = " on lined or squared paper" if args.ruled else ""
    print(f"{args.count} numbers of 2-6 digits ({writers} writers){marks}, as scans{paper}; cli.py batch --numbers "
          f"--model {args.model.name}{' --paper-lines' if args.paper_lines else ''}")
    for group in ["all", *(f"{k} digits" for k in range(2, 7)), "no touching pair", "with a touching pair",
                  "MNIST writers", "Semeion writers", "boxed MNIST writers", *(f"with a {k}" for k in MARKS),
                  *sorted(group for group in groups if group.endswith(" rows"))]:  # by status: ok, low_confidence
        if groups[group]:
            perfect = f"  digits alone: {np.mean(ceilings[group]):.2%}" if ceilings[group] else ""
            print(f"  {group:22s} {np.mean(groups[group]):7.2%} exactly right  ({len(groups[group])} numbers){perfect}")
    for kind, n in sorted(wrong.items(), key=lambda item: -item[1]):
        print(f"  misread: {kind:36s} {n:5d}")
    print(f"  per digit (aligned)    {digits_right / digits_total:7.2%}  ({digits_total} digits)")
    print(f"  speed                  {args.count / seconds:7.0f} numbers/s (whole CLI process, {seconds:.1f} s)")


if __name__ == "__main__":
    main()
