"""Read a handwritten number: segment it into digits, classify them, choose how to cut touching digits.

The number's confidence is the product of its digits' confidences: the chance that every digit is
right if the digits' errors were independent. Where a piece may be one digit or several touching
ones, the chain of cuts whose digits' confidences have the largest product wins. A piece one digit wide
that the model says is more likely no digit than the digit it would be read as (a letter, a dash, a mark
between digits) is left out of the number; the chance that it is indeed none joins the number's
confidence. A wider piece is never left out whole (two touching digits are not one digit, yet digits).
Whether a number of left-out pieces only is `not_digit` is the status's business (`results.status_of`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digits.inference import Classifier, Prediction
from digits.segment import Slot


@dataclass(frozen=True)
class LeftOut:
    """A piece of the number that is not a digit."""

    after: int  # digits read before it (0: it comes first)
    not_digit: float  # the model's probability that it is no digit


@dataclass(frozen=True)
class NumberReading:
    """What the model read in an image of a number."""

    digits: list[Prediction]  # left to right; empty when the image is blank or holds no digit
    left_out: tuple[LeftOut, ...] = ()

    @property
    def text(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    @property
    def confidence(self) -> float:
        sure = [d.confidence for d in self.digits] + [piece.not_digit for piece in self.left_out]
        return float(np.prod(sure)) if self.digits else 0.0

    @property
    def blank(self) -> bool:
        return not self.digits and not self.left_out

    @property
    def not_digit(self) -> float | None:
        """When every piece was left out, how sure the least sure of them is; 0.0 when digits were read."""
        if self.left_out and not self.digits:
            return min(piece.not_digit for piece in self.left_out)
        return None if any(d.not_digit is None for d in self.digits) else 0.0

    @property
    def note(self) -> str:
        """What was left out, for the row: 'left out 2 pieces that are not a digit (before digit 1, after digit 3)'."""
        if not self.left_out or not self.digits:
            return ""
        where = ", ".join(f"after digit {p.after}" if p.after else "before digit 1" for p in self.left_out)
        n = len(self.left_out)
        return f"left out {n} piece{'s' * (n > 1)} that {'are' if n > 1 else 'is'} not a digit ({where})"


def read_numbers(segmented: list[list[Slot]], classifier: Classifier) -> list[NumberReading]:
    """Segmented images (from `segment.segment`) -> their readings, every candidate crop classified in one batch."""
    crops = [slot.crops for slots in segmented for slot in slots]
    flat = [seen for c in crops for seen in c.values()]
    predictions = iter(classifier.classify(flat))
    read = [{key: next(predictions) for key in c} for c in crops]  # per slot: (i, j) -> Prediction
    readings, k = [], 0
    for slots in segmented:
        digits, left_out = [], []
        for slot in slots:
            chain, score = _best_chain(slot.cuts, read[k])
            # a piece one digit wide is left out when "no digit" is likelier than the digit it would be read as; one as
            # wide as touching digits never is ("not one digit" may be two: its cuts are read, each scaled by its own
            # chance of being a digit)
            whole = read[k].get((0, 1)) if slot.cuts == 2 else None
            k += 1
            p = whole.not_digit if whole is not None else None
            if p is not None and math.log(max(p, 1e-9)) > score:
                left_out.append(LeftOut(len(digits), p))
            else:
                digits += chain
        readings.append(NumberReading(digits, tuple(left_out)))
    return readings


def _best_chain(cuts: int, read: dict[tuple[int, int], Prediction]) -> tuple[list[Prediction], float]:
    """The digits from the first cut to the last whose confidences have the largest product (dynamic programming),
    with the sum of their log confidences."""
    best: dict[int, tuple[float, list[Prediction]]] = {0: (0.0, [])}  # cut -> (sum of log confidences, digits)
    for j in range(1, cuts):
        options = [(best[i][0] + math.log(max(read[(i, j)].confidence, 1e-9)), best[i][1] + [read[(i, j)]])
                   for i in range(j) if i in best and (i, j) in read]
        if options:
            best[j] = max(options, key=lambda option: option[0])
    score, chain = best.get(cuts - 1, (-math.inf, []))
    return chain, score
