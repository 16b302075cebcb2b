"""What reading one file gives: its status and its row, shared by the engines, the writers, `predict` and the page."""

from __future__ import annotations

from dataclasses import dataclass

from digits.inference import Prediction
from digits.numbers import NumberReading

OK, LOW_CONFIDENCE, NOT_DIGIT, BLANK, ERROR = "ok", "low_confidence", "not_digit", "blank", "error"
STATUSES = (OK, LOW_CONFIDENCE, NOT_DIGIT, BLANK, ERROR)


@dataclass(frozen=True)
class Row:
    """One file's outcome, as every output holds it; made by a Reader (digits/reader.py), serialised only by
    the writers (digits/output.py, digits/journal.py)."""

    path: str  # the file's name as the output gives it (relative to the folder given, forward slashes)
    prediction: int | str | None  # one digit (7), or a number's digits as text ("0070"); None when nothing was read
    confidence: float | None  # of the prediction, rounded to 4 places; None when nothing was read
    status: str  # one of STATUSES
    error: str = ""  # what went wrong (status error), why it is not a digit, or a note ("first of 3 frames")
    probabilities: tuple[float, ...] | None = None  # p0..p9 of one digit, 4 places; None for numbers and unread
    not_digit: float | None = None  # the model's probability of no digit at all; None when it cannot tell
    digit_confidences: tuple[float, ...] | None = None  # a number's digits' own confidences, left to right

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k likeliest digits with their probabilities, best first (one digit's rows only)."""
        ranked = sorted(enumerate(self.probabilities or ()), key=lambda dp: -dp[1])
        return ranked[:k]


def error_row(name: str, message: str) -> Row:
    """The row of a file that could not be opened or decoded."""
    return Row(name, None, None, ERROR, message)


def status_of(prediction: Prediction | NumberReading, min_confidence: float, not_digit_threshold: float) -> str:
    """ok, low_confidence, not_digit or blank for a readable image.

    not_digit when the model says so at `not_digit_threshold` or more (a model without the gate never does).
    """
    if prediction.blank:
        return BLANK
    if prediction.not_digit is not None and prediction.not_digit >= not_digit_threshold:
        return NOT_DIGIT
    return LOW_CONFIDENCE if prediction.confidence < min_confidence else OK
