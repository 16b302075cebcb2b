"""Split an image of a handwritten number into its digits, left to right, each framed like MNIST.

Built on the one preprocessing path: the same ink map (`preprocess.ink_map`: polarity, light,
grain) and the same framing (`preprocess.frame`); only the cutting between digits is new.
How handwriting is cut:
- connected pieces of ink are found (8-connected);
- specks far smaller than the digits are dropped;
- pieces stacked over the same columns are one digit (a 5's flag, a 4 in two strokes, a broken stroke);
- a piece as wide as touching digits is offered whole and cut where the ink is thinnest; the model chooses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.preprocess import BOX_LEVEL, MIN_DIGIT_PX, Preprocessed, dilate, frame, ink_map, speck, upright

WORK = 128  # the number's height (its shorter side) is analysed at up to this many px ...
MAX_WORK = 1536  # ... and its length at up to this many
SPECK = 0.15  # a piece shorter and narrower than this share of the digits' height is dirt
TALL = 0.6  # a piece at least this share of the digits' height is (most of) a digit; shorter ones are parts
STACKED = 0.5  # tall pieces sharing this share of the narrower one's columns belong to one digit
NEAR = 0.3  # a short piece joins the digit it overlaps most, or one at most this share of the height away
TOUCHING = 0.7  # a piece at least this many times as wide as the digits are high may be touching digits
MIN_WIDTH, MAX_WIDTH = 0.12, 1.3  # a digit cut from touching ones is this narrow (a 1) to this wide, times the height
COVERED = 0.7  # a digit cut from touching ones has ink on this share of the digits' height (not a sliver)
MAX_PIECES = 64  # the largest pieces kept: room for long numbers with broken strokes, not for a photo's texture
MAX_CUTS = 16  # candidate cuts inside one piece: enough for six touching digits with a spare between each


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


@dataclass(frozen=True)
class Slot:
    """One place in the number: a piece of ink and the ways to cut it into digits.

    `crops[(i, j)]` is the digit between candidate cuts i and j (0 = the piece's left edge, the last =
    its right edge). A narrow piece has just `{(0, 1): digit}`; a wide one, touching digits, has one
    crop per plausible pair of cuts, and `numbers.read_numbers` picks the chain the model reads best.
    """

    cuts: int  # candidate cut columns, both edges included
    crops: dict[tuple[int, int], Preprocessed]


def segment(image: Image.Image | np.ndarray, paper_lines: bool = False) -> list[Slot]:
    """Any image of a number -> its places left to right, each with its ways to cut; [] when there is no ink.

    `paper_lines`: first clear the lines of ruled paper and form boxes, as `preprocess` does."""
    pil = upright(image)
    short, long = sorted(pil.size)
    work = min(MAX_WORK, max(WORK, long * WORK // max(short, 1)))
    ink, dark_on_light, factor = ink_map(pil, work, paper_lines=paper_lines)
    pieces = _pieces(ink > BOX_LEVEL, MIN_DIGIT_PX / factor)
    pieces = [p for p in pieces if not speck(ink, (p.left, p.top, p.right, p.bottom), factor)]  # as for one digit
    if not pieces:
        return []
    height = _height(pieces)  # measured on pieces at least half the tallest: all pass the speck filter below
    pieces = [p for p in pieces if max(p.width, p.height) >= SPECK * height]  # the tallest passes: ink is left
    digits = _stack(pieces, height)
    height = _height(digits)  # again: the pieces of broken strokes are shorter than the digits they make
    slots = []
    for piece in sorted(digits, key=lambda p: (p.left + p.right) / 2):
        cuts = _cuts(piece, ink, height) if piece.width >= TOUCHING * height else [piece.left, piece.right]
        crops = {}
        for i in range(len(cuts)):
            for j in range(i + 1, len(cuts)):
                width = cuts[j] - cuts[i]
                whole = (i, j) == (0, len(cuts) - 1)  # the piece as one digit is always a candidate
                if whole or MIN_WIDTH * height <= width <= MAX_WIDTH * height:
                    part = _between(piece, cuts[i], cuts[j])
                    if part is not None and (whole or part.mask.any(axis=1).sum() >= COVERED * height):
                        crops[(i, j)] = _framed(part, ink, dark_on_light, factor)
        slots.append(Slot(len(cuts), crops))
    return slots


def _height(pieces: list[Piece]) -> float:
    """The digits' height: the median height of the pieces at least half as tall as the tallest."""
    tallest = max(p.height for p in pieces)
    return float(np.median([p.height for p in pieces if p.height >= 0.5 * tallest]))


def _cuts(piece: Piece, ink: np.ndarray, height: float) -> list[int]:
    """Candidate cut columns of a wide piece: its edges and the columns where its ink is locally thinnest."""
    profile = np.where(piece.mask, ink, 0)[:, piece.left : piece.right].sum(axis=0)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    inner = np.arange(1, len(smooth) - 1)
    minima = inner[(smooth[inner] <= smooth[inner - 1]) & (smooth[inner] <= smooth[inner + 1])]
    minima = minima[(minima >= MIN_WIDTH * height) & (minima <= piece.width - MIN_WIDTH * height)]
    kept: list[int] = []
    for column in minima[np.argsort(smooth[minima], kind="stable")]:  # thinnest first, none too close together
        if all(abs(column - k) >= MIN_WIDTH * height for k in kept) and len(kept) < MAX_CUTS:
            kept.append(int(column))
    return [piece.left, *sorted(piece.left + k for k in kept), piece.right]


def _between(piece: Piece, left: int, right: int) -> Piece | None:
    """The part of a piece between two columns, or None when no ink is there."""
    mask = piece.mask.copy()
    mask[:, :left], mask[:, right:] = False, False
    rows = np.flatnonzero(mask.any(axis=1))
    return Piece(mask, left, int(rows[0]), right, int(rows[-1]) + 1) if rows.size else None


def _framed(piece: Piece, ink: np.ndarray, dark_on_light: bool, factor: int) -> Preprocessed:
    """One digit's ink (its own strokes only, with their faint edges) framed like MNIST."""
    h, w = ink.shape
    top, left = max(piece.top - 1, 0), max(piece.left - 1, 0)
    bottom, right = min(piece.bottom + 1, h), min(piece.right + 1, w)
    crop = np.where(dilate(piece.mask), ink, 0)[top:bottom, left:right].astype(np.float32)
    box = (left * factor, top * factor, right * factor, bottom * factor)
    return Preprocessed(frame(crop), False, dark_on_light, box)


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


def _pieces(mask: np.ndarray, min_side: float) -> list[Piece]:
    """The connected pieces of ink at least `min_side` px long, each with its box; the MAX_PIECES largest at most.

    Boxes and areas are found for all pieces at once, so a grainy photo's thousands of specks cost little.
    """
    labels = _labels(mask)
    ys, xs = np.nonzero(mask)
    ids, which = np.unique(labels[ys, xs], return_inverse=True)
    top, left = np.full(len(ids), mask.shape[0]), np.full(len(ids), mask.shape[1])
    bottom, right = np.zeros(len(ids), int), np.zeros(len(ids), int)
    np.minimum.at(top, which, ys)
    np.minimum.at(left, which, xs)
    np.maximum.at(bottom, which, ys + 1)
    np.maximum.at(right, which, xs + 1)
    area = np.bincount(which, minlength=len(ids))
    keep = np.flatnonzero(np.maximum(bottom - top, right - left) >= min_side)
    keep = keep[np.argsort(-area[keep], kind="stable")[:MAX_PIECES]]
    return [Piece(labels == ids[k], int(left[k]), int(top[k]), int(right[k]), int(bottom[k])) for k in keep]


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
