"""Shapes people draw that are not digits, as pen strokes: scribbles, crosses, boxes, smileys, arrows, stars...

Each shape is a function of a random generator returning its strokes: a list of (n, 2) float arrays of points
in a unit box (x right, y down), and for some a list of dots. `draw` renders them with a round pen as (H, W)
uint8 ink, 255 on 0, ready for `scanlike.render_scan`. Shapes that are a digit's twin (a lone circle is a 0, a
lone bar a 1) are never made: a smiley has eyes, a box has corners, a hook has a curl.
"""

from __future__ import annotations

import math

import numpy as np

Strokes = tuple[list[np.ndarray], list[tuple[float, float, float]]]  # (polylines, dots as (x, y, radius))
SIZE = 96  # the drawing's box, px


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> np.ndarray:
    t = np.linspace(start, end, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _rotated(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    centred = points - 0.5
    return centred @ np.array([[c, s], [-s, c]]) + 0.5


def scribble(rng: np.random.Generator) -> Strokes:
    """A pen wandering with changing direction: one or two strokes."""
    lines = []
    for _ in range(int(rng.integers(1, 3))):
        angle, point, points = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 0.8, 2), []
        for _ in range(int(rng.integers(12, 40))):
            angle += rng.normal(0, 0.7)
            point = np.clip(point + 0.08 * np.array([math.cos(angle), math.sin(angle)]), 0, 1)
            points.append(point)
        lines.append(np.array(points))
    return lines, []


def hook(rng: np.random.Generator) -> Strokes:
    """A straight stroke ending in a curl (a shepherd's crook, an umbrella handle), any way round."""
    r = rng.uniform(0.12, 0.22)
    shaft = np.array([[0.5, 0.1], [0.5, 0.9 - r]])
    curl = _arc(0.5 - r, 0.9 - r, r, r, 0, rng.uniform(0.6, 1.0) * math.pi)  # more would close a 6 or 9's loop
    line = np.concatenate([shaft, curl])
    if rng.random() < 0.5:
        line[:, 0] = 1 - line[:, 0]
    return [_rotated(line, rng.choice([0, math.pi / 2, math.pi, 3 * math.pi / 2]) + rng.normal(0, 0.2))], []


def cross(rng: np.random.Generator) -> Strokes:
    """Two strokes crossing: an x, a +, a dagger."""
    a = rng.uniform(0, math.pi)
    b = a + rng.uniform(0.35, 0.65) * math.pi
    lines = []
    for angle in (a, b):
        length, shift = rng.uniform(0.6, 1.0), rng.uniform(-0.2, 0.2)
        d = np.array([math.cos(angle), math.sin(angle)]) * length / 2
        centre = 0.5 + shift * np.array([-d[1], d[0]])
        lines.append(np.array([centre - d, centre + d]))
    return lines, []


def box(rng: np.random.Generator) -> Strokes:
    """A rectangle, sometimes with a diagonal or a cross inside: a form's check box."""
    w, h = rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9)
    x0, y0 = 0.5 - w / 2, 0.5 - h / 2
    corners = np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]])
    lines = [corners + rng.normal(0, 0.015, corners.shape)]
    inside = rng.random()
    if inside < 0.25:
        lines.append(np.array([[x0, y0], [x0 + w, y0 + h]]))
    elif inside < 0.4:
        lines += [np.array([[x0, y0], [x0 + w, y0 + h]]), np.array([[x0 + w, y0], [x0, y0 + h]])]
    return lines, []


def smiley(rng: np.random.Generator) -> Strokes:
    """A face: a round outline, two eyes, a mouth."""
    r = rng.uniform(0.35, 0.48)
    face = _arc(0.5, 0.5, r, r * rng.uniform(0.85, 1.15), 0, 2 * math.pi, 40)
    mood = rng.choice([1, 1, -1])
    mouth = _arc(0.5, 0.55 - 0.15 * r * mood, 0.5 * r, 0.35 * r * mood, 0.15 * math.pi, 0.85 * math.pi)
    eyes = [(0.5 - 0.35 * r, 0.42, 0.06 * r + 0.01), (0.5 + 0.35 * r, 0.42, 0.06 * r + 0.01)]
    return [face, mouth], eyes


def hatching(rng: np.random.Generator) -> Strokes:
    """Parallel strokes shading an area, sometimes crossed."""
    lines = []
    for angle in [rng.uniform(0, math.pi)] * (1 if rng.random() < 0.6 else 2):
        angle += len(lines) and rng.uniform(0.3, 0.7) * math.pi
        d = np.array([math.cos(angle), math.sin(angle)]) * 0.4
        normal = np.array([-d[1], d[0]]) / 0.4
        for offset in np.linspace(-0.35, 0.35, int(rng.integers(3, 8))):
            lines.append(np.array([0.5 + offset * normal - d, 0.5 + offset * normal + d]))
    return lines, []


def wave(rng: np.random.Generator) -> Strokes:
    """A wavy line: one to three periods."""
    x = np.linspace(0.05, 0.95, 40)
    y = 0.5 + rng.uniform(0.1, 0.3) * np.sin(2 * math.pi * rng.uniform(1, 3) * x + rng.uniform(0, 2 * math.pi))
    return [_rotated(np.stack([x, y], axis=1), rng.normal(0, 0.3))], []


def spatter(rng: np.random.Generator) -> Strokes:
    """Drops of ink scattered over the paper."""
    n = int(rng.integers(4, 14))
    return [], [(float(x), float(y), float(r)) for x, y, r in
                zip(rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.uniform(0.02, 0.07, n), strict=True)]


def form_lines(rng: np.random.Generator) -> Strokes:
    """What forms are made of: a rule, a corner, a T, a bracket, a rule with ticks."""
    kind = rng.integers(5)
    if kind == 0:
        return [np.array([[0.0, 0.5], [1.0, 0.5 + rng.normal(0, 0.02)]])], []
    if kind == 1:
        return [np.array([[0.1, 0.1], [0.1, 0.9], [0.9, 0.9]])], []
    if kind == 2:
        return [np.array([[0.0, 0.2], [1.0, 0.2]]), np.array([[0.5, 0.2], [0.5, 0.9]])], []
    if kind == 3:
        return [np.array([[0.7, 0.05], [0.3, 0.05], [0.3, 0.95], [0.7, 0.95]])], []
    ticks = [np.array([[x, 0.5], [x, 0.5 - rng.uniform(0.1, 0.3)]]) for x in np.linspace(0, 1, int(rng.integers(3, 7)))]
    return [np.array([[0.0, 0.5], [1.0, 0.5]]), *ticks], []


def triangle(rng: np.random.Generator) -> Strokes:
    """A triangle's outline, every angle at least 25 degrees (a flatter one is a stroke: a 1)."""
    while True:
        points = rng.uniform(0.05, 0.95, (3, 2))
        sides = [points[(k + 1) % 3] - points[k] for k in range(3)]
        cosines = [-(u @ v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9)
                   for u, v in zip(sides, sides[1:] + sides[:1], strict=True)]
        if max(cosines) <= math.cos(math.radians(25)):
            return [np.concatenate([points, points[:1]])], []


def tick(rng: np.random.Generator) -> Strokes:
    """A check mark."""
    short, long = rng.uniform(0.3, 0.5), rng.uniform(0.6, 0.9)
    corner = np.array([0.35, 0.8])
    a = math.radians(rng.uniform(200, 240))
    b = math.radians(rng.uniform(-75, -40))
    points = np.array([corner + short * np.array([math.cos(a), math.sin(a)]), corner,
                       corner + long * np.array([math.cos(b), math.sin(b)])])
    return [_rotated(points, rng.normal(0, 0.15))], []


def zigzag(rng: np.random.Generator) -> Strokes:
    """A zigzag of three to six strokes."""
    n = int(rng.integers(4, 8))
    x = np.linspace(0.05, 0.95, n)
    y = np.where(np.arange(n) % 2 == 0, 0.5 - rng.uniform(0.15, 0.35), 0.5 + rng.uniform(0.15, 0.35))
    return [_rotated(np.stack([x, y], axis=1), rng.normal(0, 0.4))], []


def star(rng: np.random.Generator) -> Strokes:
    """A star: a pentagram drawn in one stroke or a hexagram in two triangles, a star's outline, or an asterisk."""
    kind, r, turn = rng.integers(3), rng.uniform(0.35, 0.48), rng.uniform(0, 2 * math.pi)
    if kind == 2:
        angles = turn + np.arange(int(rng.integers(3, 5))) * math.pi / rng.choice([3, 4])
        return [np.array([[0.5 - r * math.cos(a), 0.5 - r * math.sin(a)], [0.5 + r * math.cos(a),
                                                                              0.5 + r * math.sin(a)]])
                for a in angles], []
    points = int(rng.integers(5, 7))
    if kind == 0:  # every other point joined: one stroke for five points, two triangles for six
        orders = [np.arange(6) * 2 % 5] if points == 5 else [np.array([0, 2, 4, 0]), np.array([1, 3, 5, 1])]
        return [np.stack([0.5 + r * np.cos(turn + o * 2 * math.pi / points),
                          0.5 + r * np.sin(turn + o * 2 * math.pi / points)], axis=1) for o in orders], []
    angles = turn + np.arange(2 * points + 1) * math.pi / points  # the outline: points and notches in turn
    radii = np.where(np.arange(2 * points + 1) % 2 == 0, r, r * rng.uniform(0.35, 0.55))
    return [np.stack([0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles)], axis=1)], []


def arrow(rng: np.random.Generator) -> Strokes:
    """An arrow, straight or bent, with a head at its end, pointing anywhere."""
    x = np.linspace(0.1, 0.9, 12)
    y = 0.5 + rng.uniform(-0.25, 0.25) * np.sin(math.pi * (x - 0.1) / 0.8)
    shaft = _rotated(np.stack([x, y], axis=1), rng.uniform(0, 2 * math.pi))
    tip, back = shaft[-1], shaft[-1] - shaft[-3]
    back = back / max(np.linalg.norm(back), 1e-6)
    head = []
    for side in (-1, 1):
        a = math.radians(side * rng.uniform(25, 40))
        c, s = math.cos(a), math.sin(a)
        turned = np.array([back[0] * c - back[1] * s, back[0] * s + back[1] * c])
        head.append(tip - rng.uniform(0.15, 0.25) * turned)
    return [shaft, np.array([head[0], tip, head[1]])], []


def spiral(rng: np.random.Generator) -> Strokes:
    """An Archimedean spiral of one and a half to three and a half turns."""
    turns = rng.uniform(1.5, 3.5)
    t = np.linspace(0, turns * 2 * math.pi, int(60 * turns))
    r = 0.45 * t / t[-1]
    direction = rng.choice([-1, 1])
    points = np.stack([0.5 + r * np.cos(direction * t), 0.5 + r * np.sin(direction * t)], axis=1)
    return [_rotated(points, rng.uniform(0, 2 * math.pi))], []


def draw(strokes: Strokes, pen: float) -> np.ndarray | None:
    """Strokes in a unit box -> (H, W) uint8 ink, 255 on 0, drawn with a round pen `pen` px wide in a SIZE box."""
    import cv2

    lines, dots = strokes
    margin = int(pen) + 2
    canvas = np.zeros((SIZE + 2 * margin, SIZE + 2 * margin), np.uint8)
    shift = 4  # cv2 takes fixed-point coordinates: 1/16 px
    to_px = lambda p: np.round((np.asarray(p) * SIZE + margin) * (1 << shift)).astype(np.int32)  # noqa: E731
    thickness = max(1, int(round(pen)))
    for line in lines:
        cv2.polylines(canvas, [to_px(line)], False, 255, thickness, cv2.LINE_AA, shift)
    for x, y, r in dots:
        cv2.circle(canvas, tuple(to_px((x, y))), int(r * SIZE * (1 << shift)), 255, -1, cv2.LINE_AA, shift)
    ys, xs = np.nonzero(canvas)
    if ys.size == 0:
        return None
    return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
