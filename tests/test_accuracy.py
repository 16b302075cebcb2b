"""The shipped model's accuracy on the full sets, through the same preprocessing users get.

The floors guard what the shipped model measures, so a change that makes it worse fails; the first
two are also issue 2's targets (99.6% and 92%).
"""

import numpy as np

from digits.training.data import load_semeion
from digits.training.evaluate import evaluate
from digits.training.scanlike import render_bilevel

MNIST_FLOOR = 0.996  # measured 0.9963 (each member alone: 0.9963 and 0.9957)
SEMEION_FLOOR = 0.940  # measured 0.9410 (the first member alone, the model before: 0.9372)
BILEVEL_FLOOR = 0.983  # measured 0.9848 (the first member alone: 0.9838; v3: 0.9796)
STRETCHED_FLOOR = 0.980  # measured 0.9816 (the first member alone: 0.9787; v3: 0.9675)


def test_mnist_test_accuracy_holds(classifier, mnist_test):
    ev = evaluate(classifier, mnist_test.images, mnist_test.labels, "MNIST test")
    assert ev.accuracy >= MNIST_FLOOR, f"{ev.accuracy:.4f}"
    assert ev.blank == 0


def test_semeion_accuracy_holds(classifier, data_dir):
    sem = load_semeion(data_dir)
    ev = evaluate(classifier, sem.images, sem.labels, "Semeion")
    assert ev.accuracy >= SEMEION_FLOOR, f"{ev.accuracy:.4f}"


def test_low_resolution_black_and_white_digits_read_nearly_as_well(classifier, mnist_test):
    """MNIST test digits as 12-20 px bilevel scans (fax-like, box-normalised forms), shape kept and stretched."""
    for stretch, floor in ((False, BILEVEL_FLOOR), (True, STRETCHED_FLOOR)):
        seen = [render_bilevel(d, np.random.default_rng(i), stretch) for i, d in enumerate(mnist_test.images)]
        ev = evaluate(classifier, seen, mnist_test.labels, "MNIST test as bilevel scans")
        assert ev.accuracy >= floor, f"stretched={stretch}: {ev.accuracy:.4f}"


def test_metadata_reports_what_evaluation_measures(classifier, mnist_test):
    ev = evaluate(classifier, mnist_test.images, mnist_test.labels, "MNIST test")
    assert classifier.metadata["mnist_test_accuracy"] == f"{ev.accuracy:.4f}"
