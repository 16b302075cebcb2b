"""One function turns any image (sketch, photo, scan, MNIST digit) into the model's input.

It redoes what MNIST's makers did (crop to the ink, fit a 20x20 box keeping the aspect ratio,
centre by centre of mass in 28x28) after what real images need first: EXIF orientation,
transparency, colour, polarity, uneven light and paper grain. Pure numpy + Pillow.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from digits.contract import INPUT_SIZE
from digits.rules import remove_rules, stroke_width

BOX = 20  # MNIST fits the digit's longer side to 20 px ...
CENTRE = 14  # ... and puts its centre of mass on pixel (14, 14) of the 28x28 frame
WORK = 128  # analyse at most this many px per side: enough detail for a 20 px result, and fast
REFINE = 32  # ink smaller than this at working size is cut from the full-size image and analysed again
GRID = 4  # the paper's level is estimated on a GRID x GRID coarse grid: slow light changes, not strokes ...
MIN_BLOCK = 24  # ... of blocks at least this big, so a stroke never covers most of one
MIN_CONTRAST = 0.1  # ink must differ from the paper by 10% of the full range (25 grey levels)
NOISE_SIGMAS = 5.0  # and stand out of the paper's grain by this many noise deviations
MIN_DIGIT_PX = 8  # ink smaller than this many input pixels is a speck, not a digit
MIN_INK_PIXELS = 8  # fewer ink pixels than this (at working size) is a speck too
MIN_INK_PER_SIDE = 0.5  # ink pixels per px of the ink's longer side: scattered specks fall below
BOX_LEVEL = 0.2  # the crop follows ink above this share of the ink's strength
SPECK_MASS = 0.02  # a separate run of rows/columns at the edge holding less ink than this is dirt
MIN_STROKE = 1.6  # strokes thinner than this (output px) are thickened before resizing, like MNIST's pen
LOW_RES = 40  # a crop whose longer side is under this many px ...
BILEVEL = 0.05  # ... with under this share of grey among its ink is a low-resolution black-and-white scan ...
SMOOTH = 80  # ... whose contour is redrawn at about this size before the usual resize


@dataclass(frozen=True)
class Preprocessed:
    """The model's view of one image."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], ink = 1, MNIST framing: what the model sees
    blank: bool  # no ink found: report, do not classify
    dark_on_light: bool  # the input had dark ink on light paper (and was inverted)
    box: tuple[int, int, int, int] | None  # ink bounding box (left, top, right, bottom) in input pixels


def preprocess(image: Image.Image | np.ndarray, paper_lines: bool = False) -> Preprocessed:
    """Any image -> the (28, 28) float32 model input, or blank; the one path for page, CLI, evaluation.

    `paper_lines`: first clear the lines of ruled, squared or dotted paper and form boxes (`digits/rules.py`;
    Config.paper_lines, `batch --paper-lines`).
    """
    pil = upright(image)
    ink, dark_on_light, factor = ink_map(pil, WORK, paper_lines=paper_lines)
    offset = (0, 0)
    box = _ink_box(ink)
    if box is not None and factor > 1 and max(box[2] - box[0], box[3] - box[1]) < REFINE:
        # small ink on a large image: cut it out at full size, with paper around it, and look again
        left, top, right, bottom = box
        margin = max(right - left, bottom - top) // 2 + 2
        offset = (max((left - margin) * factor, 0), max((top - margin) * factor, 0))
        crop = (*offset, min((right + margin) * factor, pil.width), min((bottom + margin) * factor, pil.height))
        ink, _, factor = ink_map(pil.crop(crop), WORK, dark_on_light, paper_lines)
        box = _ink_box(ink)
    if box is None or speck(ink, box, factor):  # judged on the final look: a reduced one can hide a small digit
        return _blank(dark_on_light)
    left, top, right, bottom = box
    x0, y0 = offset
    in_input = (x0 + left * factor, y0 + top * factor, x0 + right * factor, y0 + bottom * factor)
    return Preprocessed(frame(ink[top:bottom, left:right]), False, dark_on_light, in_input)


def _blank(dark_on_light: bool) -> Preprocessed:
    return Preprocessed(np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32), True, dark_on_light, None)


def ink_map(
    pil: Image.Image, work: int, dark_on_light: bool | None = None, paper_lines: bool = False
) -> tuple[np.ndarray, bool, int]:
    """The ink of an upright image, reduced to at most `work` px a side: (h, w) float32 in [0, 1], paper = 0.

    Returns it with the polarity found (or given) and the integer factor the image was reduced by. The paper's
    own lines (rules, grids, dots, form boxes) are cleared with `paper_lines` (`digits/rules.py`).
    """
    gray, alpha, factor = _gray_alpha(pil, work)
    ink, dark_on_light = _ink(gray, alpha, averaged=factor > 1, dark_on_light=dark_on_light)
    return (remove_rules(ink) if paper_lines else ink), dark_on_light, factor


def upright(image: Image.Image | np.ndarray) -> Image.Image:
    """A Pillow image upright (EXIF), from an image or an (H, W[, C]) array of any common dtype."""
    if isinstance(image, Image.Image):
        if image.getexif().get(0x0112, 1) != 1:  # EXIF orientation: phone photos are often stored sideways
            image = ImageOps.exif_transpose(image)
        return image
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image array, got shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype == np.uint16 and array.ndim == 2:
        return Image.fromarray(array)  # 16-bit grey, scaled in _gray_alpha
    elif array.dtype != np.uint8:
        array = np.asarray(array, dtype=np.float32)
        top = 1.0 if array.max(initial=0) <= 1.0 else (255.0 if array.max() <= 255 else float(array.max()))
        array = np.clip(array / top * 255 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(array)


def _gray_alpha(pil: Image.Image, work: int) -> tuple[np.ndarray, np.ndarray | None, int]:
    """(H, W) float32 grey in [0, 1], the alpha in [0, 1] or None, and the integer factor it was reduced by."""
    mode = pil.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(pil, dtype=np.float32)
        top = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        pil = Image.fromarray(values / top, mode="F") if mode != "F" or values.max(initial=0) > 1 else pil
        gray_img, alpha_img = pil, None
    else:
        if mode == "P" and "transparency" in pil.info or mode in ("PA", "RGBa", "La"):
            pil = pil.convert("RGBA")
        has_alpha = pil.mode in ("RGBA", "LA")
        gray_img = pil.convert("L") if pil.mode != "L" else pil
        alpha_img = pil.getchannel("A") if has_alpha else None
    factor = max(1, -(-max(pil.size) // work))
    if factor > 1:
        gray_img = gray_img.reduce(factor)
        alpha_img = alpha_img.reduce(factor) if alpha_img is not None else None
    scale = 1.0 if gray_img.mode == "F" else 1 / 255
    gray = np.asarray(gray_img, dtype=np.float32) * scale
    alpha = None if alpha_img is None else np.asarray(alpha_img, dtype=np.float32) / 255
    if alpha is not None and alpha.min() >= 1.0:
        alpha = None
    return gray, alpha, factor


def _ink(
    gray: np.ndarray, alpha: np.ndarray | None, averaged: bool, dark_on_light: bool | None = None
) -> tuple[np.ndarray, bool]:
    """(H, W) grey -> (H, W) float32 ink in [0, 1] (paper = 0), and whether the ink was dark on light.

    `averaged`: the image was reduced, each pixel already a mean of many, so single pixels are trusted.
    """
    if alpha is not None:
        # flatten onto a paper that contrasts with what is drawn: white under dark ink, black under light ink
        drawn = alpha > 0.5
        light_ink = drawn.any() and float(gray[drawn].mean()) > 0.5
        gray = alpha * gray + (1 - alpha) * (0.0 if light_ink else 1.0)
    sample = gray[::2, ::2] if min(gray.shape) >= 2 * MIN_BLOCK else gray  # statistics need not see every pixel
    if dark_on_light is None:
        dark_on_light = _paper_is_light(sample)
    if dark_on_light:  # light multiplies: ink is what the page reflects less than the paper around it
        ink = 1.0 - gray / np.maximum(_surface(sample, 80, gray.shape), 0.05)
    else:  # light ink on a dark board adds to it
        ink = gray - _surface(sample, 20, gray.shape)
    strength = float(ink.max(initial=0)) if averaged else _robust_max(ink)
    paper = ink[::2, ::2][ink[::2, ::2] < strength / 2]
    noise = 1.4826 * _median(np.abs(paper - _median(paper))) if paper.size else 0.0  # paper grain
    if strength < max(MIN_CONTRAST, NOISE_SIGMAS * noise):
        return np.zeros_like(ink), dark_on_light
    floor = max(3 * noise, 0.05 * strength)
    return np.clip((ink - floor) / (strength - floor), 0.0, 1.0), dark_on_light


def _paper_is_light(gray: np.ndarray) -> bool:
    """Paper is what covers most of the border and most of the image; is it the lighter side?"""
    pooled = _pooled(gray)
    middle = (float(pooled.min()) + float(pooled.max())) / 2
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    # a tight crop of a bold digit can have more ink than paper on its border: the whole image counts double
    return bool((border > middle).mean() + 2 * (gray > middle).mean() > 1.5)


def _surface(values: np.ndarray, percent: int, shape: tuple[int, int]) -> np.ndarray:
    """The paper's level, of `shape`, from (a subsample of) the image: a smooth quadratic through coarse blocks.

    Paper is what most of each block shows, so the 80th percentile (20th for light ink) ignores the
    strokes; light changes slowly, so a quadratic through the blocks follows it, out to the edges.
    """
    h, w = values.shape
    grid = min(GRID, min(shape) // MIN_BLOCK)
    if grid < 2:
        flat = values.ravel()
        k = min(flat.size * percent // 100, flat.size - 1)
        return np.full(shape, np.partition(flat, k)[k], np.float32)
    bh, bw = h // grid, w // grid
    blocks = values[: bh * grid, : bw * grid].reshape(grid, bh, grid, bw).transpose(0, 2, 1, 3).reshape(grid, grid, -1)
    k = blocks.shape[-1] * percent // 100
    levels = np.partition(blocks, k, axis=-1)[..., k].ravel()
    coef = _fit(grid) @ levels
    y = ((np.arange(shape[0], dtype=np.float32) + 0.5) / shape[0] - 0.5)[:, None]
    x = ((np.arange(shape[1], dtype=np.float32) + 0.5) / shape[1] - 0.5)[None, :]
    surface = coef[0] + coef[1] * x + coef[2] * y
    if grid > 2:
        surface = surface + coef[3] * x * x + coef[4] * x * y + coef[5] * y * y
    return surface  # float32 throughout: coef, x and y are


@functools.cache
def _fit(grid: int) -> np.ndarray:
    """Least-squares solver for a plane (2x2 grid) or quadratic (larger) through the grid's block centres."""
    centres = (np.arange(grid) + 0.5) / grid - 0.5  # block centres in [-0.5, 0.5]
    cy, cx = np.repeat(centres, grid), np.tile(centres, grid)
    terms = [np.ones_like(cx), cx, cy] + ([cx * cx, cx * cy, cy * cy] if grid > 2 else [])
    return np.linalg.pinv(np.stack(terms, axis=1)).astype(np.float32)


def _median(values: np.ndarray) -> float:
    """Upper median of a non-empty 1-D array (np.median's overhead matters at this size)."""
    mid = values.size // 2
    return float(np.partition(values, mid)[mid])


def _robust_max(ink: np.ndarray) -> float:
    """Strength of the ink: the maximum after a 2x2 mean, so a lone noisy pixel does not count."""
    if min(ink.shape) < 2:
        return float(ink.max(initial=0))
    return float(_pooled(ink).max())


def _pooled(values: np.ndarray) -> np.ndarray:
    """2x2 means of (H, W) values, (H-1, W-1); the values themselves when too small to pool."""
    if min(values.shape) < 2:
        return values
    return (values[:-1, :-1] + values[1:, :-1] + values[:-1, 1:] + values[1:, 1:]) * 0.25


def _runs_kept(profile: np.ndarray) -> tuple[int, int] | None:
    """First and last+1 index of the inked span of a row/column profile, less faint separate runs at its ends."""
    nonzero = np.flatnonzero(profile > 0)
    if nonzero.size == 0:
        return None
    if nonzero[-1] - nonzero[0] + 1 == nonzero.size:  # one run, nothing to leave out
        return int(nonzero[0]), int(nonzero[-1]) + 1
    breaks = np.flatnonzero(np.diff(nonzero) > 1)
    starts = np.concatenate([[nonzero[0]], nonzero[breaks + 1]])
    ends = np.concatenate([nonzero[breaks], [nonzero[-1]]]) + 1
    mass = np.add.reduceat(profile[: ends[-1]], starts) / profile.sum()  # the gaps between runs hold nothing
    first, last = 0, len(starts) - 1
    while first < last and mass[first] < SPECK_MASS:
        first += 1
    while last > first and mass[last] < SPECK_MASS:
        last -= 1
    return int(starts[first]), int(ends[last])


def _ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the ink, specks at the edges left out; None when there is no ink.

    The box follows the solid ink (a faint haze of grain or light must not stretch it), then takes
    in one more line on each side where the stroke's faint anti-aliased edge goes on.
    """
    solid_ink = np.where(ink > BOX_LEVEL, ink, 0)
    rows, cols = _runs_kept(solid_ink.sum(axis=1)), _runs_kept(solid_ink.sum(axis=0))
    if rows is None or cols is None:
        return None
    (top, bottom), (left, right) = rows, cols
    top -= top > 0 and bool(ink[top - 1, left:right].any())
    bottom += bottom < ink.shape[0] and bool(ink[bottom, left:right].any())
    left -= left > 0 and bool(ink[top:bottom, left - 1].any())
    right += right < ink.shape[1] and bool(ink[top:bottom, right].any())
    return left, top, right, bottom


def speck(ink: np.ndarray, box: tuple[int, int, int, int], factor: int) -> bool:
    """Ink in `box` too small (in input pixels) or too scant (scattered dots) to be a digit."""
    left, top, right, bottom = box
    side = max(right - left, bottom - top)
    solid = int(np.count_nonzero(ink[top:bottom, left:right] > 0.5))
    return side * factor < MIN_DIGIT_PX or solid < max(MIN_INK_PIXELS, MIN_INK_PER_SIDE * side)


def _padded(values: np.ndarray, width: int) -> np.ndarray:
    """(H, W) values inside a border of `width` zeros (np.pad costs more than the work at these sizes)."""
    h, w = values.shape
    out = np.zeros((h + 2 * width, w + 2 * width), values.dtype)
    out[width : width + h, width : width + w] = values
    return out


def dilate(ink: np.ndarray) -> np.ndarray:
    """3x3 grey dilation of (H, W) ink, one pixel wider on each side."""
    border = _padded(ink, 1)
    out = np.maximum(border[1:-1, :-2], border[1:-1, 2:])
    np.maximum(out, border[:-2, 1:-1], out=out)
    np.maximum(out, border[2:, 1:-1], out=out)
    return np.maximum(out, ink, out=out)


def _smooth_bilevel(crop: np.ndarray) -> np.ndarray:
    """A small black-and-white (h, w) crop redrawn larger with smooth edges: interpolated, thresholded at half.

    Shrunk to 20 px as it is, its staircase edges would give grey patterns MNIST's anti-aliased digits never have.
    """
    h, w = crop.shape
    if max(h, w) >= LOW_RES:
        return crop
    ink = crop[crop > 0.02]
    if ink.size == 0 or np.count_nonzero((ink > 0.1) & (ink < 0.9)) >= BILEVEL * ink.size:
        return crop
    k = -(-SMOOTH // max(h, w))
    big = Image.fromarray(crop.astype(np.float32), mode="F").resize((w * k, h * k), Image.BILINEAR)
    return (np.asarray(big) > 0.5).astype(np.float32)


def frame(crop: np.ndarray) -> np.ndarray:
    """(h, w) ink cropped to the digit -> (28, 28) float32 with the longer side 20 px, centre of mass at (14, 14)."""
    crop = _smooth_bilevel(crop)
    h, w = crop.shape
    scale = BOX / max(h, w)
    width, grow = stroke_width(crop > 0.5) * scale, 0
    while width < MIN_STROKE and grow < 4:  # a fine pen on a big digit would vanish when shrunk
        width, grow = width + 2 * scale, grow + 1
    if grow:
        crop = _padded(crop, grow)
        for _ in range(grow):
            crop = dilate(crop)
        h, w = crop.shape
        scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.BILINEAR), dtype=np.float32)
    small = np.clip(small / max(float(small.max()), 1e-6), 0.0, 1.0)  # faint thin strokes back to full ink
    mass = small.sum()
    ys, xs = np.arange(small.shape[0]), np.arange(small.shape[1])
    cy, cx = (small.sum(axis=1) @ ys) / mass, (small.sum(axis=0) @ xs) / mass
    top, left = CENTRE - round(cy), CENTRE - round(cx)
    frame = np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + small.shape[0], INPUT_SIZE), min(left + small.shape[1], INPUT_SIZE)
    frame[y0:y1, x0:x1] = small[y0 - top : y1 - top, x0 - left : x1 - left]
    return frame
