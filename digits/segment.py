"""Split an image of a handwritten number into its digits, left to right, each framed like MNIST.

Built on the one preprocessing path: the same ink map (`preprocess.ink_map`: polarity, light,
grain) and the same framing (`preprocess.frame`); only the cutting between digits is new.
How handwriting is cut:
- connected pieces of ink are found (8-connected);
- specks far smaller than the digits are dropped;
- pieces stacked over the same columns are one digit (a 5's flag, a 4 in two strokes, a broken stroke);
- a piece much wider than a digit is high is several touching digits, cut where the ink is thinnest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.preprocess import BOX_LEVEL, Preprocessed, frame, ink_map, upright

WORK = 128  # the number's height (its shorter side) is analysed at up to this many px ...
MAX_WORK = 1536  # ... and its length at up to this many
SPECK = 0.08  # a piece shorter and narrower than this share of the digits' height is dirt
TALL = 0.6  # a piece at least this share of the digits' height is (most of) a digit; shorter ones are parts
STACKED = 0.5  # tall pieces sharing this share of the narrower one's columns belong to one digit
NEAR = 0.3  # a short piece joins the digit it overlaps most, or one at most this share of the height away
WIDE = 1.25  # a piece wider than this many times the digits' height holds touching digits
DIGIT_WIDTH = 0.75  # a digit's usual width, as a share of its height, to count touching digits


@dataclass(frozen=True)
class Piece:
    """Ink belonging to one digit (or, before merging, one connected piece), in working pixels."""

    mask: np.ndarray  # (h, w) bool over the whole working image
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def segment(image: Image.Image | np.ndarray) -> list[Preprocessed]:
    """Any image of a number -> one Preprocessed per digit, left to right; [] when there is no ink."""
    pil = upright(image)
    short, long = sorted(pil.size)
    ink, dark_on_light, factor = ink_map(pil, min(MAX_WORK, max(WORK, long * WORK // max(short, 1))))
    pieces = _pieces(ink > BOX_LEVEL)
    if not pieces:
        return []
    height = float(np.median([p.height for p in pieces if p.height >= 0.5 * max(q.height for q in pieces)]))
    pieces = [p for p in pieces if max(p.width, p.height) >= SPECK * height]
    digits = [part for piece in _stack(pieces, height) for part in _split(piece, ink, height)]
    out = []
    h, w = ink.shape
    for d in sorted(digits, key=lambda d: (d.left + d.right) / 2):
        top, left, bottom, right = max(d.top - 1, 0), max(d.left - 1, 0), min(d.bottom + 1, h), min(d.right + 1, w)
        crop = np.where(_grown(d.mask), ink, 0)[top:bottom, left:right]  # with the strokes' faint edges
        box = (left * factor, top * factor, right * factor, bottom * factor)
        out.append(Preprocessed(frame(crop.astype(np.float32)), False, dark_on_light, box))
    return out


def _grown(mask: np.ndarray) -> np.ndarray:
    """(h, w) bool grown by one pixel in the 4 directions."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def _labels(mask: np.ndarray) -> np.ndarray:
    """(h, w) bool -> (h, w) int64 labels of 8-connected pieces (a pixel index per piece); background = h * w."""
    h, w = mask.shape
    background = h * w
    labels = np.where(mask, np.arange(h * w).reshape(h, w), background)
    while True:
        padded = np.pad(labels, 1, constant_values=background)
        smallest = labels
        for dy in range(3):
            for dx in range(3):
                smallest = np.minimum(smallest, padded[dy : dy + h, dx : dx + w])
        smallest = np.where(mask, smallest, background)
        flat = smallest.ravel()
        inked = flat < background
        flat[inked] = flat[flat[inked]]  # pointer jumping: take the label of the pixel the label names
        if np.array_equal(smallest, labels):
            return labels
        labels = smallest


def _pieces(mask: np.ndarray) -> list[Piece]:
    """The connected pieces of ink, each with its box."""
    labels = _labels(mask)
    pieces = []
    for label in np.unique(labels[mask]):
        own = labels == label
        rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
        pieces.append(Piece(own, int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1))
    return pieces


def _joined(a: Piece, b: Piece) -> Piece:
    return Piece(a.mask | b.mask, min(a.left, b.left), min(a.top, b.top), max(a.right, b.right),
                 max(a.bottom, b.bottom))


def _stack(pieces: list[Piece], height: float) -> list[Piece]:
    """Join the strokes of one digit: tall pieces over the same columns, and short pieces to their nearest digit."""
    tall = [p for p in pieces if p.height >= TALL * height]
    short = [p for p in pieces if p.height < TALL * height]
    digits: list[Piece] = []
    for piece in sorted(tall, key=lambda p: -p.width * p.height):
        for i, other in enumerate(digits):
            if _shared(piece, other) >= STACKED * min(piece.width, other.width):
                digits[i] = _joined(other, piece)
                break
        else:
            digits.append(piece)
    for piece in sorted(short, key=lambda p: -p.width * p.height):  # a flag, a bar, a broken-off bit
        if not digits:
            digits.append(piece)
            continue
        i = max(range(len(digits)), key=lambda i: _shared(piece, digits[i]))
        if _shared(piece, digits[i]) > -NEAR * height:
            digits[i] = _joined(digits[i], piece)
        else:
            digits.append(piece)
    return digits


def _shared(a: Piece, b: Piece) -> int:
    """Columns the two pieces share; negative: the gap between them."""
    return min(a.right, b.right) - max(a.left, b.left)


def _split(piece: Piece, ink: np.ndarray, height: float) -> list[Piece]:
    """A piece as wide as several digits -> that many, cut at the columns where the ink is thinnest."""
    count = round(piece.width / (DIGIT_WIDTH * height))
    if piece.width <= WIDE * height or count < 2:
        return [piece]
    profile = np.where(piece.mask, ink, 0)[:, piece.left : piece.right].sum(axis=0)
    cuts, step = [], piece.width / count
    for k in range(1, count):  # look for the thinnest column near each even share of the width
        lo, hi = int((k - 0.4) * step), int((k + 0.4) * step)
        cuts.append(piece.left + lo + int(np.argmin(profile[lo:hi])))
    parts = []
    for left, right in zip([piece.left, *cuts], [*cuts, piece.right], strict=True):
        mask = piece.mask.copy()
        mask[:, :left], mask[:, right:] = False, False
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size:
            parts.append(Piece(mask, left, int(rows[0]), right, int(rows[-1]) + 1))
    return parts
