"""Digits written on notebook paper and in form boxes, as scans and as phone photos, for the ruled-paper benchmark.

`on_paper_kind(digit, kind, rng, photo)` draws one (H, W) uint8 digit (ink 255 on 0: MNIST, Semeion) on
plain, lined, squared or dotted paper, in a form box (sometimes crossing its edge) or a comb field (cells
under a baseline, split by ticks), at a size and spacing people write at: the digit fills 70-110% of a
lined row, 1-2 squares of a grid. Scans: grain, uneven light, blur, slight rotation. Photos: also a
perspective tilt, stronger shading, a soft focus and JPEG. The same seed draws the same digit, place and
light for every kind, so each kind differs from plain paper only in its lines.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

KINDS = ("plain", "lined", "squared", "dotted", "box", "comb")
LINE_COLOURS = [(140, 175, 225), (160, 160, 160), (110, 150, 215), (40, 40, 40), (225, 120, 120)]  # blue, grey, black


def on_paper_kind(
    digit: np.ndarray, kind: str, rng: np.random.Generator, photo: bool = False, crossing: bool | None = None
) -> Image.Image:
    """One digit (or a number's ink) on `kind` of paper (KINDS), as an RGB scan (or a phone photo with `photo`).

    `crossing` (form boxes): the digit crosses one edge of its box (True) or stays inside (False); by default 30%
    of them cross."""
    seeds = rng.integers(2**63, size=2)
    draws, line_draws = np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])  # digit and light; lines
    ink = Image.fromarray(digit).convert("L")
    ink = ink.crop(ink.getbbox() or (0, 0, ink.width, ink.height))
    height = draws.uniform(50, 110)  # the digit's height in px: 4-9 mm at 300 dpi
    ink = ink.resize((max(1, round(ink.width * height / ink.height)), round(height)), Image.BICUBIC)
    ink = ink.rotate(draws.uniform(-5, 5), resample=Image.BICUBIC, expand=True)
    width_px = int(ink.width + height * draws.uniform(0.8, 2.0))
    height_px = int(ink.height + height * draws.uniform(0.8, 2.0))
    left = int((width_px - ink.width) * draws.uniform(0.3, 0.7))
    top = int((height_px - ink.height) * draws.uniform(0.3, 0.7))
    pen = np.zeros((height_px, width_px), np.float32)
    pen[top : top + ink.height, left : left + ink.width] = np.asarray(ink, np.float32) / 255
    lines = _lines(kind, (width_px, height_px), (left, top, left + ink.width, top + ink.height), height, line_draws,
                   crossing)
    colour = np.array(LINE_COLOURS[int(line_draws.integers(len(LINE_COLOURS)))], np.float32)
    paper = np.array([draws.uniform(230, 255), draws.uniform(225, 252), draws.uniform(210, 245)], np.float32)
    pen_colour = np.array([(20, 20, 25), (25, 40, 140), (15, 15, 90), (70, 70, 70)][int(draws.integers(4))], np.float32)
    rgb = paper * (1 - lines[..., None]) + colour * lines[..., None]
    a = pen[..., None] * draws.uniform(0.8, 1.0)
    rgb = rgb * (1 - a) + pen_colour * a  # the pen covers the line under it
    ys, xs = np.mgrid[0:height_px, 0:width_px].astype(np.float32)
    angle = draws.uniform(0, 2 * np.pi)
    shade = draws.uniform(0.25, 0.5) if photo else draws.uniform(0, 0.2)
    light = 1 - shade * ((xs / width_px) * np.cos(angle) + (ys / height_px) * np.sin(angle) + 1) / 2
    rgb = rgb * light[..., None] + draws.normal(0, draws.uniform(2, 6 if photo else 5), (height_px, width_px, 1))
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    image = image.rotate(draws.uniform(-2, 2), resample=Image.BICUBIC, fillcolor=tuple(int(v) for v in paper))
    if photo:
        image = _perspective(image, draws).filter(ImageFilter.GaussianBlur(draws.uniform(0.6, 1.6)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(draws.integers(65, 90)))
        image = Image.open(buffer).convert("RGB")
    else:
        image = image.filter(ImageFilter.GaussianBlur(draws.uniform(0, 1.0)))
    return image


def _lines(kind: str, size: tuple[int, int], digit: tuple[int, int, int, int], height: float,
           rng: np.random.Generator, crossing: bool | None = None) -> np.ndarray:
    """(H, W) float32 coverage of the paper's printed lines around the digit's box (left, top, right, bottom)."""
    width_px, height_px = size
    canvas = Image.new("L", (width_px * 4, height_px * 4))  # drawn 4x larger, reduced: anti-aliased lines
    draw = ImageDraw.Draw(canvas)
    thick = int(rng.integers(4, 11))  # 1-2.5 px once reduced
    left, top, right, bottom = (4 * v for v in digit)
    if kind == "lined":
        gap = 4 * height / rng.uniform(0.7, 1.1)
        base = bottom + 4 * height * rng.uniform(-0.1, 0.1)  # the digit sits on a rule, a little above or through it
        for y in np.arange(base - gap * 6, 4 * height_px + gap, gap):
            draw.line([(0, y), (4 * width_px, y)], fill=255, width=thick)
    elif kind in ("squared", "dotted"):
        gap = 4 * height / rng.uniform(1.0, 2.0)
        x0, y0 = rng.uniform(0, gap), rng.uniform(0, gap)
        for y in np.arange(y0, 4 * height_px, gap):
            if kind == "squared":
                draw.line([(0, y), (4 * width_px, y)], fill=255, width=thick)
            else:
                for x in np.arange(x0, 4 * width_px, gap):
                    draw.ellipse([x - thick, y - thick, x + thick, y + thick], fill=255)
        for x in np.arange(x0, 4 * width_px, gap) if kind == "squared" else []:
            draw.line([(x, 0), (x, 4 * height_px)], fill=255, width=thick)
    elif kind == "box":
        margin = 4 * height * rng.uniform(0.12, 0.3)
        box = [left - margin, top - margin, right + margin, bottom + margin]
        if rng.random() < 0.3 if crossing is None else crossing:  # the digit crosses one edge of its box
            side = int(rng.integers(4))
            box[side] += (1 if side < 2 else -1) * (margin + 4 * height * rng.uniform(0.05, 0.15))
        box = [min(max(v, 8), limit - 8) for v, limit in zip(box, (4 * width_px, 4 * height_px) * 2, strict=True)]
        draw.rectangle(box, outline=255, width=thick)
    elif kind == "comb":
        cell = (right - left) + 4 * height * rng.uniform(0.3, 0.6)
        base = bottom + 4 * height * rng.uniform(0.02, 0.15)
        tick = 4 * height * rng.uniform(0.3, 0.6)
        start = (left + right) / 2 - cell / 2 - cell * int(rng.integers(1, 3))
        draw.line([(start, base), (start + 5 * cell, base)], fill=255, width=thick)
        for x in np.arange(start, start + 5 * cell + 1, cell):
            draw.line([(x, base - tick), (x, base)], fill=255, width=thick)
    elif kind != "plain":
        raise ValueError(f"unknown paper {kind!r}: one of {', '.join(KINDS)}")
    reduced = canvas.resize(size, Image.BOX)
    return np.asarray(reduced, np.float32) / 255 * rng.uniform(0.5, 1.0)


def _perspective(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The page seen from a little off-axis: a quadrilateral of it (corners up to 8% in) fills the picture."""
    w, h = image.size
    corners = np.array([(0, 0), (w, 0), (w, h), (0, h)], np.float64)
    inward = np.array([(1, 1), (-1, 1), (-1, -1), (1, -1)], np.float64)
    source = corners + inward * rng.uniform(0, 0.08, (4, 2)) * (w, h)
    rows = []
    for (x, y), (u, v) in zip(corners, source, strict=True):  # output corner (x, y) shows input point (u, v)
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(rows), source.ravel())
    return image.transform((w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC)
