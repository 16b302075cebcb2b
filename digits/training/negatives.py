"""Images that are not digits, made offline, in families: what the gate learns to reject, and how it is measured.

Every family is in one split and only that one:
- "train": the gate learns from these (fonts of many alphabets, Hershey print faces, drawn shapes, pieces of
  digits);
- "validation": never trained on; the gate's size, data mix and threshold are chosen on them (alphabets and
  shapes the gate has not seen, so the choice rewards generalising, not memory);
- "benchmark": never trained on nor chosen on; `bench/not_a_digit.py` measures them once, for the model that
  ships (joined-up script fonts, Hershey's script faces, stars, arrows, spirals).
Each image is drawn as ink, rendered clean (black on white) or as a scan (`scanlike.render_scan`: pen, paper,
light, grain, blur) and put through the one preprocessing path, so the gate sees what users' images become.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from digits.errors import DataError
from digits.preprocess import preprocess
from digits.training import glyphs, strokes
from digits.training.scanlike import render_as, render_scan, rendering

Ink = np.ndarray  # (H, W) uint8, 255 on 0
LATIN_GREEK_CYRILLIC = ((0x21, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF))
BEYOND_LATIN = ((0x370, 0x10FFFF),)  # a Noto script font's own letters, not the Latin some of them carry
KANA = ((0x3041, 0x30FF),)
HANGUL = ((0x3131, 0x318E), (0xAC00, 0xD7A3))
ASCII_LETTERS = ((0x41, 0x7A),)

PRINT = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "FreeSans.ttf",
         "FreeSerif.ttf", "FreeMono.ttf", "FreeSerifItalic.ttf", "LiberationSans-Regular.ttf",
         "LiberationSerif-Italic.ttf"]
HANDS = ["Humor-Sans.ttf", "dkg.ttf", "dkgIt.ttf", "femkeklaver.ttf", "Breip.ttf", "ComicNeue-Regular.otf",
         "Isabella.ttf", "Joscelyn-Regular.otf", *(f"BecauseWe{w}-Regular.otf" for w in
                                                  ("Build", "Connect", "Create", "Learn", "Mentor", "Organize"))]
SCRIPTS = [f"NotoSans{s}-Regular.ttf" for s in (
    "Hebrew", "Arabic", "Armenian", "Georgian", "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Tamil", "Telugu",
    "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Khmer", "Myanmar", "Ethiopic", "Tifinagh", "NKo", "Syriac",
    "Mongolian", "Runic", "CanadianAboriginal", "Glagolitic", "Coptic", "Thaana", "Javanese", "Balinese", "Adlam",
    "OlChiki", "Tagalog", "Batak", "Buginese")]
# alphabets of their own shapes (not Lisu's or Osage's, which are Latin capitals and their twins, O, I, S, Z)
UNSEEN_SCRIPTS = [f"NotoSans{s}-Regular.ttf" for s in ("Cherokee", "Vai", "Yi", "Bamum")]
JOINED_UP = ["Kristi.ttf", "Rufscript010.ttf", "DancingScript-Regular.otf", "KaushanScript-Regular.otf"]
HANGUL_HANDS = ["NanumPen.ttf", "NanumBrush.ttf"]
EVERY_FONT = [*PRINT, *HANDS, "GFSGazis.otf", "kiloji.ttf", *SCRIPTS, *HANGUL_HANDS, *UNSEEN_SCRIPTS, *JOINED_UP]


@dataclass(frozen=True)
class Family:
    """A kind of non-digit: where it belongs, and how to draw one."""

    name: str
    split: str  # "train", "validation" or "benchmark"
    draw: Callable[[np.random.Generator], Ink | None]


def _fonts(names: list[str], ranges) -> Callable[[np.random.Generator], Ink | None]:
    def draw(rng: np.random.Generator) -> Ink | None:
        name = names[int(rng.integers(len(names)))]
        chars = glyphs.font_glyphs(name, ranges)
        return glyphs.render_glyph(name, chars[int(rng.integers(len(chars)))], int(rng.integers(48, 97)),
                                   bold=int(rng.integers(0, 3)))
    return draw


def _hershey(faces: list[str]) -> Callable[[np.random.Generator], Ink | None]:
    def draw(rng: np.random.Generator) -> Ink | None:
        char = glyphs.HERSHEY_CHARS[int(rng.integers(len(glyphs.HERSHEY_CHARS)))]
        face = faces[int(rng.integers(len(faces)))]
        return glyphs.render_hershey(face, char, int(rng.integers(2, 9)), italic=rng.random() < 0.3)
    return draw


def _shape(shape: Callable) -> Callable[[np.random.Generator], Ink | None]:
    return lambda rng: strokes.draw(shape(rng), pen=rng.uniform(3, 10))


def _piece(digits: np.ndarray) -> Callable[[np.random.Generator], Ink | None]:
    """Part of a training digit cut off at a column (a stroke of it, not a digit), or two digits written over
    each other."""
    def draw(rng: np.random.Generator) -> Ink | None:
        a = digits[int(rng.integers(len(digits)))]
        if rng.random() < 0.5:
            b = digits[int(rng.integers(len(digits)))]
            return np.maximum(a, np.roll(b, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1)))
        cols = np.flatnonzero(a.max(axis=0) > 25)
        cut = int(cols[0] + rng.uniform(0.35, 0.6) * (cols[-1] - cols[0]))
        part = a.copy()
        if rng.random() < 0.5:
            part[:, cut:] = 0
        else:
            part[:, :cut] = 0
        return part if part.any() else None
    return draw


def families(digits: np.ndarray | None = None) -> list[Family]:
    """Every family; the pieces of digits only when training digits (N, 28, 28) uint8 are given."""
    hershey_print = ["simplex", "plain", "duplex", "complex", "triplex", "complex small"]
    found = [
        Family("print fonts (Latin, Greek, Cyrillic)", "train", _fonts(PRINT, LATIN_GREEK_CYRILLIC)),
        Family("handwriting fonts", "train", _fonts(HANDS, LATIN_GREEK_CYRILLIC)),
        Family("Greek cursive", "train", _fonts(["GFSGazis.otf"], LATIN_GREEK_CYRILLIC)),
        Family("kana longhand", "train", _fonts(["kiloji.ttf"], KANA)),
        Family("other alphabets", "train", _fonts(SCRIPTS, BEYOND_LATIN)),
        Family("Hershey print faces", "train", _hershey(hershey_print)),
        *(Family(name, "train", _shape(shape)) for name, shape in (
            ("scribbles", strokes.scribble), ("hooks", strokes.hook), ("crosses", strokes.cross),
            ("boxes", strokes.box), ("smileys", strokes.smiley), ("hatching", strokes.hatching),
            ("waves", strokes.wave), ("spatter", strokes.spatter), ("form lines", strokes.form_lines))),
        Family("hangul pen and brush", "validation", _fonts(HANGUL_HANDS, HANGUL)),
        Family("unseen alphabets", "validation", _fonts(UNSEEN_SCRIPTS, BEYOND_LATIN)),
        *(Family(f"{shape.__name__}s", "validation", _shape(shape))
          for shape in (strokes.triangle, strokes.tick, strokes.zigzag)),
        Family("joined-up script fonts", "benchmark", _fonts(JOINED_UP, ASCII_LETTERS)),
        Family("Hershey script faces", "benchmark", _hershey(["script simplex", "script complex"])),
        *(Family(f"{shape.__name__}s", "benchmark", _shape(shape))
          for shape in (strokes.star, strokes.arrow, strokes.spiral)),
    ]
    if digits is not None:
        found.append(Family("pieces of digits", "train", _piece(digits)))
    return found


def missing_font_packages() -> list[str]:
    """The Debian packages to install for the fonts the families draw from (tests/run installs them)."""
    missing = []
    for name in EVERY_FONT:
        try:
            glyphs.font_file(name)
        except DataError:
            missing.append(glyphs.package_of(name))
    return sorted(set(missing))


def render(family: Family, count: int, seed: int, scan_share: float | None = 0.5) -> np.ndarray:
    """`count` images of a family as the model sees them: (count, 28, 28) float32 in [0, 1], ink = 1.

    A share `scan_share` is rendered as scans, the rest clean on a page; None: every rendering the preprocessing
    meets, in the shares the gate trains on (`scanlike.RENDERINGS`). Drawings the preprocessing calls blank (a
    spatter too scant to be ink) are drawn again.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((count, 28, 28), np.float32)
    done = tries = 0
    while done < count:
        tries += 1
        if tries > 20 * count + 100:
            raise RuntimeError(f"{family.name}: only {done} of {count} drawings survived preprocessing")
        ink = family.draw(rng)
        if ink is None or min(ink.shape) < 1:
            continue
        if scan_share is None:
            seen = preprocess(render_as(ink, rendering(rng), rng))
        else:
            seen = preprocess(render_scan(ink, rng, clean=rng.random() >= scan_share))
        if not seen.blank:
            out[done] = seen.image
            done += 1
    return out


def _render_job(args: tuple) -> np.ndarray:
    name, count, seed, scan_share, digits = args
    family = next(f for f in families(digits) if f.name == name)
    return render(family, count, seed, scan_share)


def non_digits(split: str, per_family: int, seed: int, digits: np.ndarray | None = None,
               names: list[str] | None = None, workers: int = 0, scan_share: float | None = 0.5
               ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The families of a split rendered: ((N, 28, 28) float32 images, (N,) family index, family names).

    `names` picks some of the split's families; families render in parallel on `workers` processes (0: all cores);
    `scan_share` as in `render` (None for the gate's training mix).
    """
    chosen = [f for f in families(digits) if f.split == split and (names is None or f.name in names)]
    jobs = [(f.name, per_family, seed * 1000 + k, scan_share, digits) for k, f in enumerate(chosen)]
    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        images = list(pool.map(_render_job, jobs))
    which = np.concatenate([np.full(len(x), k) for k, x in enumerate(images)])
    return np.concatenate(images), which, [f.name for f in chosen]
