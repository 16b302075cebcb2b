"""Accuracy of a model on labelled digits, through the same preprocessing users get.

Blank results count as mistakes: a digit the pipeline cannot see is a digit it got wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.contract import NUM_CLASSES
from digits.inference import Classifier
from digits.preprocess import preprocess


@dataclass(frozen=True)
class Evaluation:
    """Predictions on one labelled set."""

    name: str
    labels: np.ndarray  # (N,) int
    predicted: np.ndarray  # (N,) int, -1 for blank
    confidence: np.ndarray  # (N,) float32
    seen: np.ndarray  # (N, 28, 28) float32: what the model saw

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.labels).mean())

    @property
    def blank(self) -> int:
        return int((self.predicted < 0).sum())

    def confusion(self) -> np.ndarray:
        """(10, 11) counts: rows true digit, columns predicted digit, last column blank."""
        matrix = np.zeros((NUM_CLASSES, NUM_CLASSES + 1), np.int64)
        np.add.at(matrix, (self.labels, np.where(self.predicted < 0, NUM_CLASSES, self.predicted)), 1)
        return matrix

    def per_class(self) -> list[tuple[int, float, float, int]]:
        """(digit, precision, recall, support) for each digit."""
        m = self.confusion()
        rows = []
        for d in range(NUM_CLASSES):
            predicted_d = m[:, d].sum()
            rows.append((d, m[d, d] / predicted_d if predicted_d else 0.0, m[d, d] / m[d].sum(), int(m[d].sum())))
        return rows


def evaluate(
    classifier: Classifier, images: np.ndarray | Sequence[np.ndarray], labels: np.ndarray, name: str
) -> Evaluation:
    """Preprocess and classify (N, H, W) uint8 images (or N images of any size); compare with (N,) labels."""
    seen = [preprocess(image) for image in images]
    predictions = classifier.classify(seen)
    predicted = np.array([-1 if p.blank else p.digit for p in predictions])
    confidence = np.array([p.confidence for p in predictions], np.float32)
    return Evaluation(name, labels.astype(int), predicted, confidence, np.stack([s.image for s in seen]))


def evaluate_all(model_path: Path, data_dir: Path, out_dir: Path) -> list[tuple[Evaluation, list[Path]]]:
    """MNIST test and Semeion through `model_path`, each with its confusion matrix and mistakes PNGs."""
    from digits.training.data import load_mnist, load_semeion
    from digits.training.plots import plot_confusion, plot_mistakes

    classifier = Classifier(model_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    sets = (("MNIST test", "mnist", load_mnist(data_dir, "test")), ("Semeion", "semeion", load_semeion(data_dir)))
    for name, tag, split in sets:
        ev = evaluate(classifier, split.images, split.labels, name)
        pngs = [out_dir / f"confusion_{tag}.png", out_dir / f"mistakes_{tag}.png"]
        plot_confusion(ev.confusion(), f"{name}: accuracy {ev.accuracy:.2%} on {len(ev.labels):,} digits", pngs[0])
        plot_mistakes(ev.seen, ev.labels, ev.predicted, ev.confidence, name, pngs[1])
        results.append((ev, pngs))
    return results
