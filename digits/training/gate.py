"""Train the gate: a small CNN that says whether an image is a digit at all, beside the digit readers it never changes.

Run: python cli.py train-gate --data ../shared/data [--out models/gate]   (about 25 minutes on 2 cores)
Digits (label 0): MNIST training digits, never the validation split, and extra European 1s and 7s, in every
rendering the preprocessing meets (MNIST-like 28x28, clean on a page and as sketches, as scans, as low-resolution
black-and-white scans with their shape kept or stretched to fill the box, so 1s become blocks, on ruled and
squared paper), in two passes: each digit as MNIST gives it and `gate_renderings` of them in each other rendering;
then each digit once more in a rendering drawn from the shares both classes share (`scanlike.RENDERINGS`). Not
digits (label 1): the training families of `negatives.py`, drawn twice as often, half clean and as scans, half in
those shares. (The second passes came after a gate trained on the first alone had learnt that scans are less
often digits: models/README.md.) All are then deformed alike, as the readers' training deforms digits
(`augment.augment`: slant, shear, aspect, stroke width, low-resolution scans), so that the shape tells them apart.
Digits on ruled paper are kept where the shipped readers still read them right: where the preprocessing lost the
digit among the lines, there is no digit left to accept. Writes <out>/gate.keras and history.json.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.config import DEFAULT_MODEL, Config
from digits.preprocess import preprocess
from digits.training.data import load_mnist
from digits.training.negatives import non_digits
from digits.training.scanlike import render_as, rendering


@dataclass(frozen=True)
class GateResult:
    """What a gate training run wrote and what it saw."""

    keras: Path
    history: Path
    digits: int  # positive images, every rendering
    non_digits: int
    seconds: float


EACH = ("scan", "clean", "bilevel", "stretched", "ruled")  # the first pass's renderings besides MNIST's own


def _rendered(job: tuple[np.ndarray, list[str] | None, int]) -> tuple[np.ndarray, list[str]]:
    """((N, 28, 28) uint8 digits, their renderings or None to draw them from the mix, seed) -> ((N, 28, 28) float32
    as the model sees them, the renderings)."""
    digits, kinds, seed = job
    rng = np.random.default_rng(seed)
    kinds = kinds or [rendering(rng) for _ in digits]
    return np.stack([preprocess(render_as(d, k, rng)).image for d, k in zip(digits, kinds, strict=True)]), kinds


def _pass(jobs: list, labels: np.ndarray, workers: int) -> np.ndarray:
    """Render the jobs in parallel; drop blank images, and digits on ruled paper the readers no longer read right."""
    from digits.inference import Classifier

    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        done = list(pool.map(_rendered, jobs))
    seen = np.concatenate([images for images, _ in done])
    ruled = np.array([kind == "ruled" for _, kinds in done for kind in kinds])
    read = Classifier(DEFAULT_MODEL).probabilities(seen[ruled][..., None]).argmax(axis=1)
    keep = ~ruled
    keep[np.flatnonzero(ruled)[read == labels[ruled]]] = True
    return seen[keep & (seen.reshape(len(seen), -1).max(axis=1) > 0)]


def gate_digits(images: np.ndarray, labels: np.ndarray, cfg: Config, workers: int = 0) -> np.ndarray:
    """Training digits (N, 28, 28) uint8 -> (M, 28, 28) float32 positives for the gate, in two passes: each digit as
    MNIST gives it plus `gate_renderings` of them in each of EACH (and European 1s and 7s); then each digit and its
    European variant once more, in a rendering drawn from `scanlike.RENDERINGS`."""
    from digits.training.augment import european_strokes

    rng = np.random.default_rng(cfg.seed)
    clean = np.stack([preprocess(d).image for d in images])
    extra, _ = european_strokes(clean, labels, cfg, rng)
    jobs, picked = [], []
    for k, kind in enumerate(EACH):
        picked.append(rng.choice(len(images), size=min(cfg.gate_renderings, len(images)), replace=False))
        for c, chunk in enumerate(np.array_split(picked[-1], max(1, len(picked[-1]) // 500))):
            jobs.append((images[chunk], [kind] * len(chunk), cfg.seed * 10_000 + 100 * k + c))
    first = _pass(jobs, labels[np.concatenate(picked)], workers)

    rng = np.random.default_rng(cfg.seed)
    extra2, extra2_labels = european_strokes(images.astype(np.float32) / 255, labels, cfg, rng)
    digits = np.concatenate([images, (extra2 * 255).round().astype(np.uint8)])
    chunks = np.array_split(np.arange(len(digits)), max(1, len(digits) // 500))
    second = _pass([(digits[c], None, cfg.seed * 10_000 + k) for k, c in enumerate(chunks)],
                   np.concatenate([labels, extra2_labels]), workers)
    every = np.concatenate([clean, extra, first])
    return np.concatenate([every[every.reshape(len(every), -1).max(axis=1) > 0], second])


def fit_gate(positives: np.ndarray, negatives: np.ndarray, cfg: Config,
             on_epoch: Callable[[int, dict], None] | None = None):
    """(P, 28, 28) digits and (Q, 28, 28) non-digits, float32 -> the trained Keras gate and its history."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from digits.training.augment import augment
    from digits.training.model import build_gate

    keras.utils.set_random_seed(cfg.seed)
    x = np.concatenate([positives, negatives])[..., None]
    y = np.concatenate([np.zeros(len(positives)), np.ones(len(negatives))]).astype(np.float32)[:, None]
    weight = np.where(y[:, 0] > 0, len(x) / (2 * len(negatives)), len(x) / (2 * len(positives))).astype(np.float32)
    steps = int(np.ceil(len(x) / cfg.batch_size))
    dataset = (
        tf.data.Dataset.from_tensor_slices((x, y, weight))
        .shuffle(len(x), seed=cfg.seed, reshuffle_each_iteration=True)
        .batch(cfg.batch_size)
        .map(lambda a, b, w: (augment(a, cfg), b, w), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.learning_rate / 20, decay_steps=steps * max(cfg.gate_epochs - 1, 1),
        warmup_target=cfg.learning_rate, warmup_steps=steps,
    )
    model = build_gate(cfg.gate_width)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=cfg.weight_decay),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  weighted_metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if on_epoch:
                on_epoch(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})

    history = model.fit(dataset, epochs=cfg.gate_epochs, verbose=0, callbacks=[Report()]).history
    return model, history


def train_gate(cfg: Config, data_dir: Path, out_dir: Path,
               on_epoch: Callable[[int, dict], None] | None = None) -> GateResult:
    """Build the gate's data, train it (the last epoch is kept: nothing here looks at validation), write it."""
    from digits.training.train import split_validation

    start = time.perf_counter()
    mnist = load_mnist(data_dir, "train")
    train_idx, _ = split_validation(mnist.labels, cfg.val_size, cfg.seed)  # the readers' split: never validation
    per_family = cfg.gate_per_family
    if cfg.train_limit:  # a quick check: that many training digits, about as many non-digits
        train_idx, per_family = train_idx[: cfg.train_limit], max(1, cfg.train_limit // 16)
    positives = gate_digits(mnist.images[train_idx], mnist.labels[train_idx], cfg)
    pieces = mnist.images[train_idx]
    negatives, _, names = non_digits("train", per_family, cfg.seed, digits=pieces)  # half clean, half scans
    mixed, _, _ = non_digits("train", per_family, cfg.seed, digits=pieces, scan_share=None)  # every rendering
    negatives = np.concatenate([negatives, mixed])
    model, history = fit_gate(positives, negatives, cfg, on_epoch)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras_path, history_path = out_dir / "gate.keras", out_dir / "history.json"
    model.save(keras_path)
    record = {"config": cfg.to_dict(), "families": names, "digits": len(positives), "non_digits": len(negatives),
              "history": history, "train_images_sha256": mnist.images_sha256,
              "train_labels_sha256": mnist.labels_sha256}
    history_path.write_text(json.dumps(record, indent=1))
    return GateResult(keras_path, history_path, len(positives), len(negatives), time.perf_counter() - start)
