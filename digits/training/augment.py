"""Training-time augmentation for other people's handwriting: shape (random, TensorFlow), style (1s, 7s), pairs.

Only `train.py` imports this module; nothing here is part of the exported model.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from digits.config import Config
from digits.preprocess import frame

CENTRE = 13.5  # middle of the 28x28 frame, in pixel coordinates


def _ink_extent(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """Width, height and box centre (x, y) of the ink of each (N, 28, 28, 1) image, in pixels."""
    idx = tf.range(28, dtype=tf.float32)
    out = []
    for axis in (1, 2):  # columns (max over rows), then rows
        inked = tf.cast(tf.reduce_max(images[..., 0], axis=axis) > 0.1, tf.float32)  # (N, 28)
        first = tf.reduce_min(idx + 99 * (1 - inked), axis=1)
        last = tf.reduce_max(idx - 99 * (1 - inked), axis=1)
        out.append((tf.maximum(last - first + 1, 1.0), (first + last) / 2))
    (w, cx), (h, cy) = out
    return w, h, cx, cy


def random_affine(images: tf.Tensor, cfg: Config, stretchable: tf.Tensor | None = None) -> tf.Tensor:
    """Rotate, shear, scale (with aspect change or box filling) and shift each image of a (N, 28, 28, 1) batch.

    `stretchable` (N,) bool: which images may be stretched to fill the box (touching pairs never are).
    """
    n = tf.shape(images)[0]
    uni = lambda lo, hi: tf.random.uniform([n], lo, hi)  # noqa: E731
    angle = uni(-math.radians(cfg.rotation_deg), math.radians(cfg.rotation_deg))
    shear = tf.tan(uni(-math.radians(cfg.shear_deg), math.radians(cfg.shear_deg)))
    scale = uni(*cfg.scale)
    aspect = tf.exp(uni(math.log(cfg.aspect[0]), math.log(cfg.aspect[1])))
    sx, sy = scale * tf.sqrt(aspect), scale / tf.sqrt(aspect)
    width, height, cx, cy = _ink_extent(images)
    fill = uni(0, 1) < cfg.fill_box_prob  # stretched to fill the 20x20 box, as box-normalised forms and data sets do
    if stretchable is not None:
        fill = fill & stretchable
    sx = tf.where(fill, tf.minimum(20 / width, 3.0), sx)
    sy = tf.where(fill, tf.minimum(20 / height, 3.0), sy)
    tx, ty = uni(-cfg.shift_px, cfg.shift_px), uni(-cfg.shift_px, cfg.shift_px)
    # forward map A = rotation @ shear @ scale; the op wants the inverse, output pixel -> input pixel
    cos, sin = tf.cos(angle), tf.sin(angle)
    a, b = cos * sx, (cos * shear - sin) * sy
    c, d = sin * sx, (sin * shear + cos) * sy
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    ox, oy = CENTRE + tx, CENTRE + ty  # the ink's box centre lands here, so stretching never pushes it out
    transforms = tf.stack(
        [ia, ib, cx - ia * ox - ib * oy, ic, id_, cy - ic * ox - id_ * oy, tf.zeros([n]), tf.zeros([n])], axis=1
    )
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=[28, 28], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="CONSTANT",
    )


def random_thickness(images: tf.Tensor, cfg: Config) -> tf.Tensor:
    """Make strokes thinner (partial erosion) or thicker (partial dilation) for a share of the batch."""
    n = tf.shape(images)[0]
    thicker = tf.nn.max_pool2d(images, 3, 1, "SAME")
    thinner = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    amount = tf.random.uniform([n, 1, 1, 1], -0.7, 1.0)
    amount *= tf.cast(tf.random.uniform([n, 1, 1, 1]) < cfg.thickness_prob, tf.float32)
    target = tf.where(amount > 0, thicker, thinner)
    return images + tf.abs(amount) * (target - images)


def random_bilevel(images: tf.Tensor, cfg: Config) -> tf.Tensor:
    """Redraw a share of the batch as a low-resolution black-and-white scan: shrink, threshold, enlarge back.

    Fax-like scans and box-normalised forms store a digit in 12-20 px with no grey levels; MNIST has
    none of that (every digit is anti-aliased at 20 px). One size per batch, drawn from `bilevel_frame`.
    """
    n = tf.shape(images)[0]
    size = tf.random.uniform([], cfg.bilevel_frame[0], cfg.bilevel_frame[1] + 1, dtype=tf.int32)
    small = tf.image.resize(images, tf.stack([size, size]), method="area")
    bilevel = tf.image.resize(tf.cast(small > 0.5, tf.float32), [28, 28], method="bilinear")
    chosen = tf.random.uniform([n, 1, 1, 1]) < cfg.bilevel_prob
    return tf.where(chosen, bilevel, images)


def random_pressure(images: tf.Tensor, cfg: Config) -> tf.Tensor:
    """Fade a share of the batch unevenly: ink times a smooth random field in [0.35, 1] (a 4x4 grid, enlarged).

    Pen pressure and uneven scans leave strokes dark in one place and faint in another; MNIST's are even.
    """
    n = tf.shape(images)[0]
    field = tf.image.resize(tf.random.uniform(tf.stack([n, 4, 4, 1]), 0.35, 1.0), [28, 28], method="bilinear")
    chosen = tf.random.uniform([n, 1, 1, 1]) < cfg.pressure_prob
    return tf.where(chosen, images * field, images)


def augment(images: tf.Tensor, cfg: Config, stretchable: tf.Tensor | None = None) -> tf.Tensor:
    """(N, 28, 28, 1) float32 in [0, 1] -> the same, randomly deformed (a share left as they are)."""
    shaped = random_thickness(random_affine(images, cfg, stretchable), cfg)
    if cfg.pressure_prob:  # skipped at 0, so that runs from before it draw the same random numbers
        shaped = random_pressure(shaped, cfg)
    deformed = random_bilevel(shaped, cfg)
    deformed = tf.clip_by_value(deformed, 0.0, 1.0)
    keep = tf.random.uniform([tf.shape(images)[0], 1, 1, 1]) < cfg.clean_prob
    return tf.where(keep, images, deformed)


def _segment(canvas: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], width: float) -> None:
    """Draw an anti-aliased stroke from p0 to p1 ((x, y) pixels) into a float (28, 28) image, in place."""
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float32)
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / max(dx * dx + dy * dy, 1e-6), 0, 1)
    dist = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
    np.maximum(canvas, np.clip(width / 2 + 0.5 - dist, 0, 1), out=canvas)


def _ink_geometry(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    ys, xs = np.nonzero(image > 0.5)
    rows = max(ys.max() - ys.min() + 1, 1)
    width = float(np.clip(len(ys) / rows, 1.5, 3.5))  # ink per row: the stroke width of a near-vertical stroke
    return ys, xs, width


def european_strokes(images: np.ndarray, labels: np.ndarray, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """Extra copies of some 1s with a flag (and sometimes a foot) and some 7s with a crossbar.

    (N, 28, 28) float32 in [0, 1] -> (M, 28, 28) float32, all of class 1 or 7 as the source image.
    Returns the new images; their labels are the sources' labels, returned alongside.
    """
    out, out_labels = [], []
    for digit in (1, 7):
        pool = np.flatnonzero(labels == digit)
        for i in rng.choice(pool, size=int(len(pool) * cfg.euro_fraction), replace=False):
            img = images[i].copy()
            ys, xs, width = _ink_geometry(img)
            top, bottom = ys.min(), ys.max()
            height = bottom - top + 1
            if digit == 1:
                x_top = xs[ys <= top + 1].mean()
                angle = math.radians(rng.uniform(25, 60))
                length = height * rng.uniform(0.25, 0.65)
                _segment(img, (x_top, top), (x_top - length * math.cos(angle), top + length * math.sin(angle)), width)
                if rng.random() < 0.4:
                    x_bot, half = xs[ys >= bottom - 1].mean(), height * rng.uniform(0.15, 0.3)
                    _segment(img, (x_bot - half, bottom), (x_bot + half, bottom), width)
            else:
                y_mid = int(top + height * rng.uniform(0.45, 0.6))
                row = xs[ys == y_mid]
                if row.size == 0:
                    continue
                x_mid, half, tilt = row.mean(), height * rng.uniform(0.15, 0.28), rng.uniform(-1, 1)
                _segment(img, (x_mid - half, y_mid + tilt), (x_mid + half, y_mid - tilt), width)
            out.append(img)
            out_labels.append(digit)
    if not out:  # a tiny training subset may hold no 1s or 7s
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.uint8)
    return np.stack(out).astype(np.float32), np.array(out_labels, dtype=np.uint8)


def touching_pairs(images: np.ndarray, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """Two digits written touching or overlapping a little, framed as one, as a number's cutter offers them whole.

    (N, 28, 28) float32 in [0, 1] -> (M, 28, 28) float32, M = pair_fraction * N. They are trained towards
    equal probabilities for every digit, so that the model is unsure of a pair instead of reading it as one
    digit, and `numbers.read_numbers` cuts it (outlier exposure, Hendrycks et al., 2019).
    """
    out = np.empty((int(len(images) * cfg.pair_fraction), 28, 28), np.float32)
    for k in range(len(out)):
        left, right = (_ink_crop(images[i]) for i in rng.integers(0, len(images), 2))
        overlap = int(rng.integers(0, max(2, min(left.shape[1], right.shape[1]) // 4)))  # 0: just touching
        drop = int(rng.integers(-3, 4))  # the second digit's baseline a little higher or lower
        height = max(left.shape[0], right.shape[0]) + 6
        canvas = np.zeros((height, left.shape[1] + right.shape[1] - overlap), np.float32)
        base = height - 3
        canvas[base - left.shape[0] : base, : left.shape[1]] = left
        region = canvas[base + drop - right.shape[0] : base + drop, left.shape[1] - overlap :]
        np.maximum(region, right, out=region)
        out[k] = frame(_ink_crop(canvas))
    return out


def _ink_crop(image: np.ndarray) -> np.ndarray:
    """(h, w) ink cropped to the pixels above 0.1."""
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.1), np.flatnonzero(image.max(axis=0) > 0.1)
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
