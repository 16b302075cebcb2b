"""The shipped model's accuracy on the full sets, through the same preprocessing users get.

The floors guard what the shipped model measures (MNIST test 99.57%, Semeion 91.40%), so a change
that makes it worse fails. Issue 2's targets (99.6% and 92%) are not met yet: see models/README.md.
"""

from digits.data import load_semeion
from digits.evaluate import evaluate

MNIST_FLOOR = 0.9955  # measured 0.9957
SEMEION_FLOOR = 0.912  # measured 0.9140


def test_mnist_test_accuracy_holds(classifier, mnist_test):
    ev = evaluate(classifier, mnist_test.images, mnist_test.labels, "MNIST test")
    assert ev.accuracy >= MNIST_FLOOR, f"{ev.accuracy:.4f}"
    assert ev.blank == 0


def test_semeion_accuracy_holds(classifier, data_dir):
    sem = load_semeion(data_dir)
    ev = evaluate(classifier, sem.images, sem.labels, "Semeion")
    assert ev.accuracy >= SEMEION_FLOOR, f"{ev.accuracy:.4f}"


def test_metadata_reports_what_evaluation_measures(classifier, mnist_test):
    ev = evaluate(classifier, mnist_test.images, mnist_test.labels, "MNIST test")
    assert classifier.metadata["mnist_test_accuracy"] == f"{ev.accuracy:.4f}"
