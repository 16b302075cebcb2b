"""What reading one file gives: its status and result, shared by the batch pipeline, its output and the page."""

from __future__ import annotations

from dataclasses import dataclass

from digits.inference import Prediction
from digits.numbers import NumberReading
from digits.walk import Found

OK, LOW_CONFIDENCE, BLANK, ERROR = "ok", "low_confidence", "blank", "error"
STATUSES = (OK, LOW_CONFIDENCE, BLANK, ERROR)


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file."""

    found: Found
    status: str  # one of STATUSES
    prediction: Prediction | NumberReading | None  # a NumberReading when reading numbers; None on error
    error: str = ""  # what went wrong, for status "error"
    note: str = ""  # e.g. "first of 3 frames"


def status_of(prediction: Prediction | NumberReading, min_confidence: float) -> str:
    """ok, low_confidence or blank for a readable image."""
    if prediction.blank:
        return BLANK
    return LOW_CONFIDENCE if prediction.confidence < min_confidence else OK
