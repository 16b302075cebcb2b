"""The pictures: training curves, confusion matrix, worst mistakes (matplotlib, from the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from digits.contract import NUM_CLASSES
from digits.errors import DigitsError

if TYPE_CHECKING:
    from digits.evaluate import Evaluation


def pyplot():
    """matplotlib.pyplot drawing to files (Agg), or a message saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise DigitsError("plots need matplotlib: pip install -e '.[train]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(ev: Evaluation, path: Path) -> None:
    """The confusion matrix as a PNG, counts in each cell, the blank column last."""
    plt = pyplot()
    m = ev.confusion()
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    ax.imshow(np.log1p(m), cmap="Blues")
    for (r, c), count in np.ndenumerate(m):
        if count:
            ax.text(c, r, str(count), ha="center", va="center", fontsize=7, color="white" if r == c else "black")
    ax.set_xticks(range(NUM_CLASSES + 1), [*map(str, range(NUM_CLASSES)), "blank"])
    ax.set_yticks(range(NUM_CLASSES))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{ev.name}: accuracy {ev.accuracy:.2%} on {len(ev.labels):,} digits")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_mistakes(ev: Evaluation, path: Path, count: int = 40) -> None:
    """The most confident mistakes, as the model saw them, with true and predicted digit."""
    plt = pyplot()
    wrong = np.flatnonzero(ev.predicted != ev.labels)
    wrong = wrong[np.argsort(-ev.confidence[wrong], kind="stable")][:count]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.35))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), wrong, strict=False):  # more axes than mistakes
        ax.imshow(ev.seen[i], cmap="gray", vmin=0, vmax=1)
        guess = "blank" if ev.predicted[i] < 0 else f"{ev.predicted[i]} {ev.confidence[i]:.0%}"
        ax.set_title(f"true {ev.labels[i]}\n{guess}", fontsize=7)
    fig.suptitle(f"{ev.name}: the {len(wrong)} most confident mistakes (what the model saw)", fontsize=9)
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
