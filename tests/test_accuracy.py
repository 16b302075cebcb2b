"""The shipped model's accuracy on the full sets, through the same preprocessing users get."""

from digits.data import load_semeion
from digits.evaluate import evaluate


def test_mnist_test_accuracy_is_at_least_99_6_percent(classifier, mnist_test):
    ev = evaluate(classifier, mnist_test.images, mnist_test.labels, "MNIST test")
    assert ev.accuracy >= 0.996, f"{ev.accuracy:.4f}"
    assert ev.blank == 0


def test_semeion_accuracy_is_at_least_92_percent(classifier, data_dir):
    sem = load_semeion(data_dir)
    ev = evaluate(classifier, sem.images, sem.labels, "Semeion")
    assert ev.accuracy >= 0.92, f"{ev.accuracy:.4f}"


def test_metadata_reports_what_evaluation_measures(classifier, mnist_test):
    ev = evaluate(classifier, mnist_test.images, mnist_test.labels, "MNIST test")
    assert classifier.metadata["mnist_test_accuracy"] == f"{ev.accuracy:.4f}"
