"""Read a handwritten number: segment it into digits, classify them, choose how to cut touching digits.

The number's confidence is the product of its digits' confidences: the chance that every digit is
right if the digits' errors were independent. Where a piece may be one digit or several touching
ones, the chain of cuts whose digits' confidences have the largest product wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digits.inference import Classifier, Prediction
from digits.segment import Slot


@dataclass(frozen=True)
class NumberReading:
    """What the model read in an image of a number."""

    digits: list[Prediction]  # left to right; empty when the image is blank

    @property
    def text(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    @property
    def confidence(self) -> float:
        return float(np.prod([d.confidence for d in self.digits])) if self.digits else 0.0

    @property
    def blank(self) -> bool:
        return not self.digits


def read_numbers(segmented: list[list[Slot]], classifier: Classifier) -> list[NumberReading]:
    """Segmented images (from `segment.segment`) -> their readings, every candidate crop classified in one batch."""
    crops = [slot.crops for slots in segmented for slot in slots]
    flat = [seen for c in crops for seen in c.values()]
    predictions = iter(classifier.classify(flat))
    read = [{key: next(predictions) for key in c} for c in crops]  # per slot: (i, j) -> Prediction
    readings, k = [], 0
    for slots in segmented:
        digits = []
        for slot in slots:
            digits += _best_chain(slot.cuts, read[k])
            k += 1
        readings.append(NumberReading(digits))
    return readings


def _best_chain(cuts: int, read: dict[tuple[int, int], Prediction]) -> list[Prediction]:
    """The digits from the first cut to the last whose confidences have the largest product (dynamic programming)."""
    best: dict[int, tuple[float, list[Prediction]]] = {0: (0.0, [])}  # cut -> (sum of log confidences, digits)
    for j in range(1, cuts):
        options = [(best[i][0] + math.log(max(read[(i, j)].confidence, 1e-9)), best[i][1] + [read[(i, j)]])
                   for i in range(j) if i in best and (i, j) in read]
        if options:
            best[j] = max(options, key=lambda option: option[0])
    return best.get(cuts - 1, (0.0, []))[1]
