"""The pictures: training curves, confusion matrix, worst mistakes (matplotlib, from the `train` extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digits.contract import NUM_CLASSES
from digits.errors import DigitsError


def pyplot():
    """matplotlib.pyplot drawing to files (Agg), or a message saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise DigitsError("plots need matplotlib: pip install -e '.[train]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(m: np.ndarray, title: str, path: Path) -> None:
    """A (10, 11) confusion matrix (rows true, the blank column last) as a PNG with counts in each cell."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    ax.imshow(np.log1p(m), cmap="Blues")
    for (r, c), count in np.ndenumerate(m):
        if count:
            ax.text(c, r, str(count), ha="center", va="center", fontsize=7, color="white" if r == c else "black")
    ax.set_xticks(range(NUM_CLASSES + 1), [*map(str, range(NUM_CLASSES)), "blank"])
    ax.set_yticks(range(NUM_CLASSES))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_mistakes(
    seen: np.ndarray, labels: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, name: str, path: Path,
    count: int = 40,
) -> None:
    """The most confident mistakes in (N, 28, 28) `seen`, with true and predicted digit (-1: blank) of each."""
    plt = pyplot()
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.35))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), wrong, strict=False):  # more axes than mistakes
        ax.imshow(seen[i], cmap="gray", vmin=0, vmax=1)
        guess = "blank" if predicted[i] < 0 else f"{predicted[i]} {confidence[i]:.0%}"
        ax.set_title(f"true {labels[i]}\n{guess}", fontsize=7)
    fig.suptitle(f"{name}: the {len(wrong)} most confident mistakes (what the model saw)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(history: dict[str, list[float]], best_epoch: int, path: Path) -> None:
    """Loss and accuracy per epoch, train vs validation, with the chosen epoch marked."""
    plt = pyplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, title in ((axes[0], "loss", "loss (cross-entropy)"), (axes[1], "accuracy", "accuracy")):
        ax.plot(epochs, history[key], label="train (augmented)")
        ax.plot(epochs, history[f"val_{key}"], label="validation (5,000 held-out MNIST train)")
        ax.axvline(best_epoch, color="grey", linestyle=":", label=f"chosen epoch {best_epoch}")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[1].set_ylim(max(0.95, min(history["val_accuracy"]) - 0.005), 1.0)
    axes[0].set_yscale("log")
    axes[1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
