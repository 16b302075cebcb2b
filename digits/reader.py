"""How an image is read: as one digit, or as a number of several. Both engines, `predict` and the page take one.

A Reader prepares a decoded image (preprocess, or segment into digits), reads a batch of prepared
images with the model, and turns each reading into its Row. The two kinds differ in those three
steps only, so nothing downstream asks which kind it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from digits.config import Config
from digits.inference import Classifier, Prediction
from digits.numbers import NumberReading, read_numbers
from digits.preprocess import Preprocessed, preprocess
from digits.results import NOT_DIGIT, Row, status_of
from digits.segment import Slot, segment

Prepared = Preprocessed | list[Slot]  # what the model sees: one 28x28 digit, or a number's slots


class Reader(Protocol):
    """Prepare, read in batches, make rows: one digit per image, or one number per image."""

    min_confidence: float  # below it, a reading is low_confidence
    columns: tuple[str, ...]  # batch's output columns of its own, after the common ones
    details: tuple[str, ...]  # what `predict --json` adds to the common columns

    def prepare(self, image: Image.Image, paper_lines: bool) -> Prepared: ...

    def read(self, prepared: list[Prepared], classifier: Classifier) -> list[Prediction | NumberReading]: ...

    def row(self, name: str, reading: Prediction | NumberReading, note: str = "") -> Row: ...


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


@dataclass(frozen=True)
class DigitReader:
    """Each image is one digit: `prediction` is it, p0..p9 its probabilities."""

    min_confidence: float  # below, low_confidence
    not_digit_threshold: float  # at or above, not_digit (a model with the gate)
    columns: tuple[str, ...] = ()
    details: tuple[str, ...] = ("not_digit", "probabilities")

    def prepare(self, image: Image.Image, paper_lines: bool) -> Preprocessed:
        return preprocess(image, paper_lines)

    def read(self, prepared: list[Preprocessed], classifier: Classifier) -> list[Prediction]:
        return classifier.classify(prepared)

    def row(self, name: str, p: Prediction, note: str = "") -> Row:
        """A not_digit row has no prediction; its `error` says how sure the model is and the closest digit."""
        status = status_of(p, self.min_confidence, self.not_digit_threshold)
        if p.blank:
            return Row(name, None, None, status, note)
        probabilities = tuple(round(float(q), 4) for q in p.probabilities)
        if status == NOT_DIGIT:
            said = f"not a digit ({p.not_digit:.0%}); closest digit {p.digit}"
            return Row(name, None, None, status, _join(said, note), probabilities, _round(p.not_digit))
        return Row(name, p.digit, _round(p.confidence), status, note, probabilities, _round(p.not_digit))


@dataclass(frozen=True)
class NumberReader:
    """Each image is a number: `prediction` is its digits as text ("0070" keeps its zeros), with their confidences."""

    min_confidence: float
    not_digit_threshold: float
    columns: tuple[str, ...] = ("digit_confidences",)
    details: tuple[str, ...] = ("digit_confidences",)

    def prepare(self, image: Image.Image, paper_lines: bool) -> list[Slot]:
        return segment(image, paper_lines)

    def read(self, prepared: list[list[Slot]], classifier: Classifier) -> list[NumberReading]:
        return read_numbers(prepared, classifier)

    def row(self, name: str, n: NumberReading, note: str = "") -> Row:
        status = status_of(n, self.min_confidence, self.not_digit_threshold)
        note = _join(note, n.note)  # a number's left-out pieces
        if n.blank:
            return Row(name, None, None, status, note)
        if status == NOT_DIGIT:
            return Row(name, None, None, status, _join(f"not a digit ({n.not_digit:.0%})", note),
                       not_digit=_round(n.not_digit))
        confidences = tuple(round(d.confidence, 4) for d in n.digits)
        return Row(name, n.text, _round(n.confidence), status, note, None, _round(n.not_digit), confidences)


def reader_for(cfg: Config, numbers: bool = False) -> Reader:
    """The reader the CLI's --numbers asks for, with its own review threshold."""
    if numbers:
        return NumberReader(cfg.number_min_confidence, cfg.not_digit_threshold)
    return DigitReader(cfg.min_confidence, cfg.not_digit_threshold)
