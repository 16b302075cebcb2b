"""Train the CNN on MNIST with augmentation; keep the epoch with the best validation accuracy.

Run: python cli.py train --data ../shared/data/mnist   (40 epochs, 32-43 minutes on 2 cores)
     [--pair-fraction 0.05 --out models/pairs]          (the shipped model's second member)
Writes <out>/digits.keras, <out>/history.json and <out>/training_curves.png.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.config import Config, TrainPaths
from digits.training.data import load_mnist

EpochCallback = Callable[[int, dict], None]  # (epoch starting at 1, {"loss", "accuracy", "val_loss", ...})
BatchCallback = Callable[[int, int], None]  # (batch done, batches per epoch)


@dataclass(frozen=True)
class TrainResult:
    """What a run produced and how it went."""

    paths: TrainPaths
    best_epoch: int  # 1-based, chosen by validation accuracy
    best_val_accuracy: float
    seconds: float
    train_sha256: dict[str, str]


def split_validation(labels: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded random train/validation split of MNIST train."""
    order = np.random.default_rng(seed).permutation(len(labels))
    return np.sort(order[size:]), np.sort(order[:size])


def _read_right(y_true, y_pred):
    """Per image: a digit read as its label, or a pair (even target) read with no digit above 1/2."""
    from keras import ops

    digit = ops.max(y_true, axis=-1) > 0.5
    right = ops.argmax(y_pred, axis=-1) == ops.argmax(y_true, axis=-1)
    return ops.cast(ops.where(digit, right, ops.max(y_pred, axis=-1) < 0.5), "float32")


def _callbacks(keras, on_epoch: EpochCallback | None, on_batch: BatchCallback | None, steps: int) -> list:
    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if on_epoch:
                on_epoch(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})

        def on_train_batch_end(self, batch, logs=None):
            if on_batch:
                on_batch(batch + 1, steps)

    return [Report()]


def train(
    cfg: Config,
    data_dir: Path,
    paths: TrainPaths,
    on_epoch: EpochCallback | None = None,
    on_batch: BatchCallback | None = None,
) -> TrainResult:
    """Train from scratch with `cfg`, writing the best model, history and curves to `paths`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    import keras
    import tensorflow as tf

    from digits.training.augment import augment, european_strokes, touching_pairs
    from digits.training.model import build_model
    from digits.training.plots import plot_curves

    start = time.perf_counter()
    keras.utils.set_random_seed(cfg.seed)
    mnist = load_mnist(data_dir, "train")
    images = mnist.images.astype(np.float32) / 255.0  # (60000, 28, 28) float32, ink = 1
    train_idx, val_idx = split_validation(mnist.labels, cfg.val_size, cfg.seed)
    if cfg.train_limit:
        train_idx = train_idx[: cfg.train_limit]
    x_train, y_train = images[train_idx], mnist.labels[train_idx]
    rng = np.random.default_rng(cfg.seed)
    extra_x, extra_y = european_strokes(x_train, y_train, cfg, rng)
    pairs = touching_pairs(x_train, cfg, rng)
    x_train = np.concatenate([x_train, extra_x, pairs])
    y_train = np.concatenate([np.eye(10, dtype=np.float32)[np.concatenate([y_train, extra_y])],
                              np.full((len(pairs), 10), 0.1, np.float32)])  # (N, 10): one-hot digits; pairs even
    x_val, y_val = images[val_idx][..., None], np.eye(10, dtype=np.float32)[mnist.labels[val_idx]]

    steps = int(np.ceil(len(x_train) / cfg.batch_size))
    dataset = (
        tf.data.Dataset.from_tensor_slices((x_train[..., None], y_train))
        .shuffle(len(x_train), seed=cfg.seed, reshuffle_each_iteration=True)
        .batch(cfg.batch_size)
        .map(lambda x, y: (augment(x, cfg, tf.reduce_max(y, axis=-1) > 0.5), y), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.learning_rate / 20, decay_steps=steps * max(cfg.epochs - 1, 1),
        warmup_target=cfg.learning_rate, warmup_steps=steps,
    )
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=cfg.weight_decay),
        loss="categorical_crossentropy",
        metrics=[keras.metrics.MeanMetricWrapper(_read_right, name="accuracy")],
    )
    paths.out_dir.mkdir(parents=True, exist_ok=True)
    best = keras.callbacks.ModelCheckpoint(paths.keras, monitor="val_accuracy", mode="max", save_best_only=True)
    history = model.fit(
        dataset, epochs=cfg.epochs, validation_data=(x_val, y_val), verbose=0, shuffle=False,  # the dataset shuffles
        callbacks=[best, *_callbacks(keras, on_epoch, on_batch, steps)],
    ).history
    best_epoch = int(np.argmax(history["val_accuracy"])) + 1
    sha = {"train_images_sha256": mnist.images_sha256, "train_labels_sha256": mnist.labels_sha256}
    record = {"config": cfg.to_dict(), "best_epoch": best_epoch, "history": history, **sha}
    paths.history.write_text(json.dumps(record, indent=1))
    plot_curves(history, best_epoch, paths.curves)
    return TrainResult(paths, best_epoch, float(history["val_accuracy"][best_epoch - 1]),
                       time.perf_counter() - start, sha)
