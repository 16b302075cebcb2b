"""Long thin nearly straight lines in a boolean ink mask: looked for coarsely, then followed at full size.

Near-horizontal ones; the caller passes the mask transposed for near-vertical ones. `digits/rules.py` decides
which lines are the paper's (rules, grids, form boxes) and clears them. Pure numpy.
"""

from __future__ import annotations

import functools

import numpy as np

MAX_TILT = 0.15  # lines tilted up to this slope (8.5 degrees) are found: photos, skewed scans
MIN_SPAN = 0.4  # a line spans at least this share of the image (a form box may be small in its scan) ...
MIN_COVER = 0.8  # ... and has ink in this share of the columns along its span
MAX_THICK = 6  # px at working size: thicker columns of a line are where writing crosses it
MAX_TRIES = 16  # candidates kept at most, each way: bounds the work on a page of lines
COARSE = 24  # lines are looked for on the mask pooled to this many cells across


def pool(mask: np.ndarray, count: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A boolean (H, W) mask max-pooled to COARSE cells across (and as many down as keep the cells near square,
    8-48): thin lines survive it. Also the cell row of each of the H rows and the cell column of each column.
    `count`: the number of ink pixels in each cell instead."""
    row_starts, col_starts, rows, cols = _cells(*mask.shape)
    add, values = (np.add, mask.astype(np.int32)) if count else (np.logical_or, mask)
    return add.reduceat(add.reduceat(values, row_starts, axis=0), col_starts, axis=1), rows, cols


@functools.lru_cache(maxsize=512)
def _cells(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each coarse cell starts (rows, columns) and the cell of each row and column, for an (h, w) mask."""
    down = min(max(round(COARSE * h / w), 8), 48)
    row_starts, col_starts = np.arange(down) * h // down, np.arange(COARSE) * w // COARSE
    rows = np.searchsorted(row_starts, np.arange(h), "right") - 1
    return row_starts, col_starts, rows, np.searchsorted(col_starts, np.arange(w), "right") - 1


def candidates(coarse: np.ndarray) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """Near-horizontal lines on a coarse mask, strongest first: (coarse row at the middle, slope in cells per cell,
    the row each column's cell is in, whether that cell is inked); a line is often found at a few slopes.

    Peaks of the count of cells along every slope up to MAX_TILT (lines stay straight when the axes are scaled
    apart), counting only cells with an empty cell two rows above or below: a digit's blob has neither.
    """
    ch, cw = coarse.shape
    slopes, cells = _sweep(ch, cw)
    k = (len(slopes) - 1) // 2
    padded = np.zeros((ch + 2 * k + 4, cw), bool)
    padded[k + 2 : k + 2 + ch] = coarse
    on = padded.ravel().take(cells)  # (slopes, rows, width): the cells along each line
    thin = on[:, 2:-2] & ~(on[:, :-4] & on[:, 4:])
    counts = thin.astype(np.float32) @ np.ones(cw, np.float32)  # (slopes, rows); a product: quicker than a sum
    peaks = np.flatnonzero(counts >= MIN_SPAN * cw)  # as many cells as `_track` will want columns
    if peaks.size == 0:
        return []
    found: list[tuple[float, float, np.ndarray, np.ndarray]] = []
    per_place: dict[int, int] = {}
    for flat in peaks[np.argsort(-counts.ravel()[peaks], kind="stable")][: 4 * MAX_TRIES]:
        s, r = divmod(int(flat), ch + 2 * k)
        place = r - k
        if sum(per_place.get(place + d, 0) for d in (-1, 0, 1)) < 2:  # two slopes a place: the second if the first
            per_place[place] = per_place.get(place, 0) + 1  # fails to follow
            found.append((float(place), float(slopes[s]), cells[s, r + 2] // cw - k - 2, on[s, r + 2]))
            if len(found) == MAX_TRIES:
                break
    return found


@functools.lru_cache(maxsize=512)
def _sweep(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Slopes, and (slopes, rows, width) flat indices into the coarse mask padded by k + 2 rows: the cells along
    each line, one row of drift across the width per slope step."""
    k = int(np.ceil(MAX_TILT * width * width / height))  # MAX_TILT in the fine mask: cells are not square
    slopes = np.arange(-k, k + 1) / width
    xs = np.arange(width)
    shift = np.round(slopes[:, None] * (xs[None, :] - width / 2)).astype(np.intp)  # (slopes, width)
    starts = np.arange(height + 2 * k + 4)[None, :, None]  # every row a line may cross the middle at
    rows = np.clip(starts + shift[:, None, :], 0, height + 2 * k + 3)
    return slopes, rows * width + xs


def follow(mask: np.ndarray, coarse_shape: tuple[int, int], candidates: list) -> list:
    """Follow coarse candidates (`candidates` of a mask pooled to `coarse_shape`) on the (H, W) boolean mask:
    (whole band, band to clear, thickness) for each that is a long thin line, as `_track` gives."""
    ch, cw = coarse_shape
    step = mask.shape[0] / ch
    found, taken = [], []
    for place, slope, _, _ in candidates:
        if any(abs(place - t) <= 2 for t in taken):
            continue
        band = _track(mask, (place + 0.5) * step, slope * step * cw / mask.shape[1])
        if band is not None:  # a line followed; a failed try (the wrong slope through a digit) leaves its place open
            taken.append(place)
            found.append(band)
    return found


def _track(mask: np.ndarray, centre: float, slope: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Follow a line from its coarse position column by column: its whole band and the part to clear (crossing
    strokes left out), each (H, W) boolean, and its thickness in px; None if it is not a long thin line."""
    h, w = mask.shape
    xs = np.arange(w)
    guess = centre + slope * (xs - w / 2)
    rows = np.round(guess).astype(int)[:, None] + np.arange(-6, 7)[None, :]  # (w, 13) rows around the guess
    hits = at(mask, rows, xs[:, None])
    nearest = np.argmin(np.where(hits, np.abs(np.arange(-6, 7))[None, :], 99), axis=1)  # the ink nearest the guess
    covered = np.flatnonzero(hits[xs, nearest])
    if covered.size < MIN_SPAN * w:
        return None
    span = covered[-1] - covered[0] + 1
    if covered.size < MIN_COVER * span:
        return None
    steps = np.arange(13)[None, :]
    up = np.cumprod(_pick(hits, nearest[:, None] - steps), axis=1).sum(axis=1)  # the run of ink around it
    down = np.cumprod(_pick(hits, nearest[:, None] + steps), axis=1).sum(axis=1)
    count = np.where(hits[xs, nearest], up + down - 1, 0)
    thin = np.flatnonzero((count > 0) & (count <= MAX_THICK))
    if thin.size < MIN_COVER * covered.size / 2:
        return None
    thick = float(np.median(count[thin]))
    middle = rows[thin, nearest[thin]] + (down[thin] - up[thin]) / 2
    fit = np.polyfit(thin, middle, 2)  # a rule bends slowly; strokes crossing it are outliers, left out next
    close = np.abs(np.polyval(fit, thin) - middle) <= 1.5
    if close.sum() >= 3:
        fit = np.polyfit(thin[close], middle[close], 2)
    centre_row = np.polyval(fit, xs)
    half = thick / 2 + 0.5
    top, bottom = np.floor(centre_row - half).astype(int), np.ceil(centre_row + half).astype(int)
    above = at(mask, top - 2, xs) | at(mask, top - 3, xs)
    below = at(mask, bottom + 2, xs) | at(mask, bottom + 3, xs)
    cleared = ~(above & below) & (count <= thick + 2)  # a stroke through or along the line: keep it
    grid = np.arange(h)[:, None]
    band = (grid >= top) & (grid <= bottom)
    band[:, : covered[0]] = False
    band[:, covered[-1] + 1 :] = False
    return band, band & cleared[None, :], thick


def _pick(hits: np.ndarray, index: np.ndarray) -> np.ndarray:
    """hits[i, index[i, j]] of a (w, n) array, False where the index falls outside 0..n-1."""
    inside = (index >= 0) & (index < hits.shape[1])
    return np.where(inside, np.take_along_axis(hits, np.clip(index, 0, hits.shape[1] - 1), axis=1), False)


def at(mask: np.ndarray, rows: np.ndarray, xs: np.ndarray) -> np.ndarray:
    inside = (rows >= 0) & (rows < mask.shape[0])
    return np.where(inside, mask[np.clip(rows, 0, mask.shape[0] - 1), xs], False)


def main_run(profile: np.ndarray, gap: int = 1) -> tuple[int, int]:
    """(first, last) index of the heaviest run of a non-negative profile, gaps of up to `gap` empty indices
    bridged: what is left of lines that were missed lies apart from the writing, in one direction at least."""
    inked = np.flatnonzero(profile > 0)
    breaks = np.flatnonzero(np.diff(inked) > gap + 1)
    starts = np.concatenate([[inked[0]], inked[breaks + 1]])
    ends = np.concatenate([inked[breaks], [inked[-1]]])
    cumulative = np.concatenate([[0], np.cumsum(profile)])
    best = int(np.argmax(cumulative[ends + 1] - cumulative[starts]))
    return int(starts[best]), int(ends[best])
