"""What reading one file gives: its status and result, shared by the batch pipeline, its output and the page."""

from __future__ import annotations

from dataclasses import dataclass

from digits.inference import Prediction
from digits.numbers import NumberReading
from digits.walk import Found

OK, LOW_CONFIDENCE, NOT_DIGIT, BLANK, ERROR = "ok", "low_confidence", "not_digit", "blank", "error"
STATUSES = (OK, LOW_CONFIDENCE, NOT_DIGIT, BLANK, ERROR)


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file."""

    found: Found
    status: str  # one of STATUSES
    prediction: Prediction | NumberReading | None  # a NumberReading when reading numbers; None on error
    error: str = ""  # what went wrong, for status "error"
    note: str = ""  # e.g. "first of 3 frames"


def status_of(prediction: Prediction | NumberReading, min_confidence: float, not_digit_threshold: float) -> str:
    """ok, low_confidence, not_digit or blank for a readable image.

    not_digit when the model says so at `not_digit_threshold` or more (a model without the gate never does).
    """
    if prediction.blank:
        return BLANK
    if prediction.not_digit is not None and prediction.not_digit >= not_digit_threshold:
        return NOT_DIGIT
    return LOW_CONFIDENCE if prediction.confidence < min_confidence else OK
