"""Paper is not ink: the rules of lined paper, the grid of squared paper, the dots of dotted paper, form boxes.

Works on the ink map (`preprocess.ink_map`, paper = 0) before the digit is framed, with `--paper-lines`
(Config.paper_lines), for one digit and for `--numbers` alike. A rule is a long line (found by `digits/lines.py`),
thin for the pen that wrote the digit, that runs past the writing on both ends (or leaves the picture, or meets
lines across at both ends: a form box); a stroke of the digit never does, so a 1, a 7's bar or a 4's stem stay.
Where a digit's stroke crosses a rule, the crossing is kept. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from digits.lines import at, candidates, follow, main_run, pool

LEVEL = 0.12  # ink above this share of the pen's strength counts: printed lines are often much fainter
PEN_SHARE = 0.7  # a printed line is at most this share of the pen's stroke width: pens write bolder than rules ...
THIN = 2.5  # ... or this many px thick, whatever the pen
PAST = 0.1  # a rule reaches beyond the writing on each end by this share of the writing's size (2 px at least)
MIN_SIZE = 40  # px a side: a smaller picture is a digit alone (28x28 MNIST, a tight crop), never a page of lines
SCREENED = 8  # candidate places looked at, each way, to tell whether there are lines at all
MIN_DOTS = 6  # this many isolated dots make dotted paper


def remove_rules(ink: np.ndarray) -> np.ndarray:
    """(H, W) float32 ink in [0, 1] -> the same with ruled lines, grids, box edges and paper dots set to 0."""
    if min(ink.shape) < MIN_SIZE:
        return ink
    mask = ink > LEVEL
    coarse, rows, cols = pool(mask)  # looked at coarsely first: most images have no lines, quick to see
    dots = _dots(coarse)
    if np.count_nonzero(dots) >= MIN_DOTS:  # dotted paper: clear the dots' cells
        ink = np.where(dots[rows][:, cols], 0, ink).astype(np.float32)
        mask = ink > LEVEL
        coarse = coarse & ~dots
    across, down = candidates(coarse), candidates(np.ascontiguousarray(coarse.T))
    if not (across or down) or not _worth_following(coarse, across, down):
        return ink
    lines = [(False, whole, clear, thick) for whole, clear, thick in follow(mask, coarse.shape, across)]
    if down:
        lines += [(True, whole.T, clear.T, thick)
                  for whole, clear, thick in follow(np.ascontiguousarray(mask.T), coarse.T.shape, down)]
    if not lines:
        return ink
    writing = mask & ~_union(lines, mask)  # what is left without every line found
    pen = stroke_width(writing)
    lines = [line for line in lines if line[3] <= max(THIN, PEN_SHARE * pen)]  # the others are a pen's strokes
    if not lines:
        return ink
    box = _box(_main_blob(writing))
    if box is None:  # nothing but lines: a page with no digit, unless the one "line" is the digit (a 1, a dash)
        return np.where(_union(lines, mask), 0, ink).astype(np.float32) if len(lines) >= 2 else ink
    left, top, right, bottom = box
    boxed = _boxed(lines, 3 + 0.03 * max(mask.shape))
    rules = [line for line, in_box in zip(lines, boxed, strict=True)
             if in_box or _runs_past(line[1], line[0], (top, bottom) if line[0] else (left, right))]
    if not rules:
        return ink  # the lines found are writing
    clear = _union(rules, mask)
    for vertical, whole, _, thick in rules:
        if not vertical:
            clear |= _ticks(mask & ~clear, whole, thick, pen)
    return np.where(clear, 0, ink).astype(np.float32)


def _ticks(mask: np.ndarray, band: np.ndarray, thick: float, pen: float) -> np.ndarray:
    """The ticks of a comb field on a horizontal rule's `band`: short thin straight strokes standing on it (or
    hanging from it), two or more of about one length, thinner than the pen; an (H, W) boolean mask of them."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    columns = np.flatnonzero(band.any(axis=0))
    first, last = band[:, columns].argmax(axis=0), h - 1 - band[::-1, columns].argmax(axis=0)
    for start, direction in ((first - 1, -1), (last + 1, 1)):
        steps = np.arange(int(0.8 * h))[:, None] * direction
        rows = start[None, :] + steps  # (steps, columns) going away from the rule
        run = np.cumprod(at(mask, rows, columns[None, :]), axis=0).sum(axis=0)  # ink straight on from the rule
        standing = run >= 3
        edges = np.flatnonzero(np.diff(np.concatenate([[0], standing.astype(np.int8), [0]])))
        ticks = []
        for a, b in zip(edges[::2], edges[1::2], strict=True):  # runs of neighbouring columns
            if b - a <= max(THIN, PEN_SHARE * pen, thick + 1) and (a == 0 or run[a - 1] == 0) and (
                    b == len(run) or run[b] == 0):
                ticks.append((a, b, int(run[a:b].max())))
        if len(ticks) < 2:
            continue
        typical = float(np.median([length for _, _, length in ticks]))
        for a, b, length in ticks:
            if abs(length - typical) <= 0.3 * typical:
                for c in range(a, b):
                    out[rows[: run[c], c], columns[c]] = True
    return out


def _boxed(lines: list[tuple[bool, np.ndarray, np.ndarray, float]], near: float) -> list[bool]:
    """Which lines are edges of a form box: each of their two ends meets a line across (within `near` px).

    A box edge need not run past the writing: a digit may fill its box, or cross one edge.
    """
    ends = []
    for vertical, whole, _, _ in lines:
        band = whole.T if vertical else whole
        along = np.flatnonzero(band.any(axis=0))
        ends.append([(float(along[i]), float(np.flatnonzero(band[:, along[i]]).mean())) for i in (0, -1)])
    boxed = []
    for i, (vertical, *_) in enumerate(lines):
        across = [ends[j] for j in range(len(lines)) if lines[j][0] != vertical]
        # an end (a, b) of this line, in its own (along, across) terms, meets a line across whose own across
        # position is a and whose extent along covers b
        meets = [any(abs(c[0][1] - a) <= near and c[0][0] - near <= b <= c[1][0] + near for c in across)
                 for a, b in ends[i]]
        boxed.append(all(meets))
    return boxed


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in px of a boolean (H, W) mask: area over half the perimeter."""
    edges = np.count_nonzero(mask[:, 1:] != mask[:, :-1]) + np.count_nonzero(mask[1:] != mask[:-1])
    edges += 2 * (np.count_nonzero(mask[:, 0]) + np.count_nonzero(mask[0]))  # ink touching the crop's edge
    return 2.0 * np.count_nonzero(mask) / max(edges, 1)


def _union(lines: list[tuple[bool, np.ndarray, np.ndarray, float]], mask: np.ndarray) -> np.ndarray:
    """What to clear of these lines: their bands less the strokes crossing them, and where two lines cross."""
    out, seen = np.zeros_like(mask), np.zeros_like(mask)
    for _, whole, clear, _ in lines:
        out |= clear | (whole & seen)
        seen |= whole
    return out


def _runs_past(band: np.ndarray, vertical: bool, writing: tuple[int, int]) -> bool:
    """Whether a line's band reaches beyond the writing's (first, last) on both ends, or leaves the image there."""
    band = band.T if vertical else band
    along = np.flatnonzero(band.any(axis=0))
    past = max(2.0, PAST * (writing[1] - writing[0]))
    leaves = [bool(band[0, x] or band[-1, x]) for x in (along[0], along[-1])]  # out through an edge across
    return (along[0] <= writing[0] - past or leaves[0]) and (along[-1] >= writing[1] + past or leaves[1])


def _worth_following(coarse: np.ndarray, across: list, down: list) -> bool:
    """Whether any candidate may be a rule: one that runs past the rest of the ink (the heaviest run of columns,
    or rows, once its own cells are taken out), or is long and leaves the picture on both ends, or meets lines
    across at both ends (a form box). Most pictures with no lines end here, before anything is followed at full
    size: a digit's stroke has the rest of the digit beside it."""
    across, down = _strongest(across), _strongest(down)
    ends = []
    for vertical, (_, _, rows, on) in [(False, c) for c in across] + [(True, c) for c in down]:
        xs = np.flatnonzero(on)
        ends.append((vertical, xs[0], xs[-1], rows[xs[0]], rows[xs[-1]]))
    if not ends:
        return False
    for i, (vertical, (_, _, rows, _)) in enumerate([(False, c) for c in across] + [(True, c) for c in down]):
        grid = coarse.T if vertical else coarse
        height, size = grid.shape
        first, last, row_first, row_last = ends[i][1:]
        xs = np.arange(size)
        near = np.clip(rows[None, :] + np.arange(3)[:, None], 0, height + 1)  # its cells and those beside, in...
        padded = np.zeros((height + 2, size), bool)  # a grid padded by one
        padded[1:-1] = grid
        profile = grid.sum(axis=0) - padded[near, xs].sum(axis=0)
        if profile.any():
            extent = main_run(profile)
            if first <= extent[0] - 2 and last >= extent[1] + 2:
                return True
            past = [first <= max(extent[0] - 2, 1) or row_first in (0, height - 1),
                    last >= min(extent[1] + 2, size - 2) or row_last in (0, height - 1)]
            if last - first >= 0.8 * size and all(past):  # across the picture: beside writing cut off at its edge
                return True
        others = [e for e in ends if e[0] != vertical]  # a box: each end near a line across, within its extent
        if all(any(abs(o[3] - a) <= 1.5 and o[1] - 1 <= b <= o[2] + 1 for o in others)
               for a, b in ((first, row_first), (last, row_last))) and _inside(grid, first, last, rows):
            return True
    return False


def _strongest(found: list, places: int = SCREENED) -> list:
    """The first candidate at each of the first `places` places (candidates come strongest first)."""
    kept: list = []
    for candidate in found:
        if all(abs(candidate[0] - other[0]) > 1 for other in kept):
            kept.append(candidate)
            if len(kept) == places:
                break
    return kept


def _inside(grid: np.ndarray, first: int, last: int, rows: np.ndarray) -> bool:
    """Whether there is ink 2-4 cells away from a box edge (over columns `first`..`last`, on `rows`), on either
    side: a box holds writing; a ring digit's side (a 0's) has only its hole there."""
    inner = slice(first + 2, last - 1)
    row = np.clip(rows[inner], 0, grid.shape[0] - 1)
    cols = np.arange(grid.shape[1])[inner]
    return any(grid[np.clip(row + d, 0, grid.shape[0] - 1), cols].any() for d in (-4, -3, -2, 2, 3, 4))


def _main_blob(mask: np.ndarray) -> np.ndarray:
    """The ink of the biggest group of touching coarse cells (what is left of lines that were missed lies apart)."""
    weights, rows, cols = pool(mask, count=True)
    return mask & _grow(weights > 0, weights)[rows][:, cols]


def _grow(cells: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The group of touching `cells` (8-neighbours) that holds the cell of most weight; all False if none."""
    if not cells.any():
        return cells
    blob = weights == weights[cells].max()
    blob &= cells & (np.cumsum(blob.ravel()).reshape(blob.shape) == 1)  # one seed
    while True:
        padded = np.zeros((blob.shape[0] + 2, blob.shape[1] + 2), bool)
        padded[1:-1, 1:-1] = blob
        grown = padded[1:-1, 1:-1].copy()
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                grown |= padded[dy : dy + blob.shape[0], dx : dx + blob.shape[1]]
        grown &= cells
        if (grown == blob).all():
            return blob
        blob = grown


def _box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom), inclusive, of the middle 90% of the ink left (leftover corners and ends of lines
    fall outside); None if nearly nothing is left."""
    total = np.count_nonzero(mask)
    if total < 8:
        return None
    ends = []
    for profile in (mask.sum(axis=0), mask.sum(axis=1)):
        cumulative = np.cumsum(profile)
        ends.append((int(np.searchsorted(cumulative, 0.05 * total)), int(np.searchsorted(cumulative, 0.95 * total))))
    (left, right), (top, bottom) = ends
    return left, top, right, bottom


def _dots(coarse: np.ndarray) -> np.ndarray:
    """Cells of a coarse mask that hold a dot: ink in at most a 2x2 group of cells with nothing else 2 cells
    around. Strokes run on, so their cells never qualify; an (h, w) boolean array."""
    padded = np.zeros((coarse.shape[0] + 4, coarse.shape[1] + 4), np.uint8)
    padded[2:-2, 2:-2] = coarse
    rows = padded[:, :-4] + padded[:, 1:-3] + padded[:, 2:-2] + padded[:, 3:-1] + padded[:, 4:]  # 5 across
    inner = padded[:, 1:-3] + padded[:, 2:-2] + padded[:, 3:-1]  # 3 across
    box5 = rows[:-4] + rows[1:-3] + rows[2:-2] + rows[3:-1] + rows[4:]
    box3 = inner[1:-3] + inner[2:-2] + inner[3:-1]
    return coarse & (box3 == box5) & (box5 <= 4)
