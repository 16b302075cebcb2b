"""Render digits the model never trained on as scan-like images: dark ink on paper, anywhere, any size.

Used by the benchmarks, the bundled examples and the tests. Input digits are (H, W) uint8 with
ink 255 on 0 (MNIST test, Semeion); output is an RGB Pillow image of 100-400 px.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

FORMATS = {  # the formats scans come in, with their save options
    "png": {}, "jpg": {"quality": 90}, "webp": {"quality": 90}, "bmp": {}, "tif": {"compression": "tiff_deflate"},
}
PENS = [(20, 20, 25), (25, 40, 140), (15, 15, 90), (60, 60, 60), (120, 30, 30)]  # black, blue, navy, pencil, red


def render_scan(
    digit: np.ndarray, rng: np.random.Generator, size: tuple[int, int] | None = None, clean: bool = False
) -> Image.Image:
    """One digit as a scan: pen colour on grainy, unevenly lit paper, scaled, placed, slightly rotated and blurred.

    `clean` draws the same digit at the same size and place in black on white, with nothing else.
    """
    width, height = size or (int(rng.integers(100, 401)), int(rng.integers(100, 401)))
    ink = Image.fromarray(digit).convert("L")
    ink = ink.crop(ink.getbbox() or (0, 0, ink.width, ink.height))
    target = rng.uniform(0.3, 0.8) * min(width, height)  # the digit's height on the page
    scale = target / ink.height
    ink = ink.resize((max(1, round(ink.width * scale)), max(1, round(ink.height * scale))), Image.BICUBIC)
    angle = rng.uniform(-8, 8)
    ink = ink.rotate(0 if clean else angle, resample=Image.BICUBIC, expand=True)
    left = int(rng.integers(0, max(1, width - ink.width)))
    top = int(rng.integers(0, max(1, height - ink.height)))
    alpha = np.zeros((height, width), np.float32)
    crop = np.asarray(ink, np.float32)[: height - top, : width - left] / 255
    alpha[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return on_paper(alpha, rng, clean)


def on_paper(alpha: np.ndarray, rng: np.random.Generator, clean: bool = False) -> Image.Image:
    """(H, W) float32 ink coverage in [0, 1] -> an RGB scan: pen on grainy, unevenly lit paper, slightly blurred.

    `clean` gives black on white instead (the random draws are made all the same, so both match).
    """
    height, width = alpha.shape
    paper = np.array([rng.uniform(225, 255), rng.uniform(220, 250), rng.uniform(200, 240)], np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0, 0.25) * ((xs / width) * np.cos(angle) + (ys / height) * np.sin(angle) + 1) / 2
    grain = rng.normal(0, rng.uniform(2, 8), (height, width)).astype(np.float32)
    pen = np.array(PENS[int(rng.integers(len(PENS)))], np.float32)
    strength = rng.uniform(0.75, 1.0)  # a worn pen does not reach full colour
    blur = rng.uniform(0, 1.2)
    if clean:
        return Image.fromarray(np.clip(255 * (1 - alpha), 0, 255).astype(np.uint8)).convert("RGB")
    a = (alpha * strength)[..., None]
    rgb = (paper * (1 - a) + pen * a) * light[..., None] + grain[..., None]
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(blur))


def render_bilevel(digit: np.ndarray, rng: np.random.Generator, stretch: bool = False) -> np.ndarray:
    """One digit as a low-resolution black-and-white scan: 12-20 px high, no grey; (h, w) uint8, ink 255 on 0.

    `stretch` fills a square box whatever the digit's shape, as box-normalised forms and data sets store them.
    """
    ink = Image.fromarray(digit).convert("L")
    ink = ink.crop(ink.getbbox() or (0, 0, ink.width, ink.height))
    height = int(rng.integers(12, 21))
    width = height if stretch else max(1, round(ink.width * height / ink.height))
    small = np.asarray(ink.resize((width, height), Image.BOX))
    return np.where(small >= 128, 255, 0).astype(np.uint8)


def ruled(page: Image.Image, rng: np.random.Generator, height: float) -> Image.Image:
    """A scan with the lines of notebook paper printed under it: rules (lined) or a grid (squared), `height` px apart
    at most, in light blue or grey, as people write on them."""
    rgb = np.asarray(page, np.float32)
    h, w = rgb.shape[:2]
    gap = rng.uniform(0.6, 1.0) * height if rng.random() < 0.6 else rng.uniform(0.3, 0.5) * height
    lines = np.zeros((h, w), np.float32)
    width = int(rng.integers(1, 3))
    start = rng.uniform(0, gap)
    for y in np.arange(start, h, gap).astype(int):
        lines[y : y + width] = 1
    if gap < 0.55 * height:  # squared paper
        for x in np.arange(rng.uniform(0, gap), w, gap).astype(int):
            lines[:, x : x + width] = 1
    colour = np.array([(150, 180, 230), (170, 170, 170), (120, 160, 220)][int(rng.integers(3))], np.float32)
    strength = rng.uniform(0.3, 0.8) * lines[..., None]
    return Image.fromarray(np.clip(rgb * (1 - strength) + rgb * strength * colour / 255, 0, 255).astype(np.uint8))


# The renderings the preprocessing meets, and their share of the gate's training images: the same for digits and
# non-digits, so that only the shape tells them apart (a gate whose non-digits were scanned more often than its
# digits learnt that scans are not digits).
RENDERINGS = {"direct": 0.3, "clean": 0.15, "scan": 0.3, "bilevel": 0.08, "stretched": 0.07, "ruled": 0.1}


def render_as(ink: np.ndarray, kind: str, rng: np.random.Generator) -> Image.Image | np.ndarray:
    """(H, W) uint8 ink, 255 on 0 (a digit, a letter, a shape) as one of RENDERINGS: as an MNIST-like 28x28
    ("direct"), on a page black on white ("clean") or as a scan, as a low-resolution black-and-white scan with its
    shape kept or stretched, or as a scan on ruled or squared paper."""
    if kind == "direct":
        if ink.shape == (28, 28):
            return ink
        box = Image.fromarray(ink).crop(Image.fromarray(ink).getbbox() or (0, 0, *ink.shape[::-1]))
        scale = 20 / max(box.size)
        small = box.resize((max(1, round(box.width * scale)), max(1, round(box.height * scale))), Image.BILINEAR)
        frame = Image.new("L", (28, 28))
        frame.paste(small, ((28 - small.width) // 2, (28 - small.height) // 2))
        return np.asarray(frame)
    if kind in ("bilevel", "stretched"):
        return render_bilevel(ink, rng, stretch=kind == "stretched")
    page = render_scan(ink, rng, clean=kind == "clean")
    return ruled(page, rng, rng.uniform(0.4, 0.9) * min(page.size)) if kind == "ruled" else page


def rendering(rng: np.random.Generator) -> str:
    """One of RENDERINGS, drawn by its share."""
    return str(rng.choice(list(RENDERINGS), p=list(RENDERINGS.values())))
