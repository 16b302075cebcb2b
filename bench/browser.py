"""Run the page and drive it like a user: the app on a free port, a real Chromium, strokes drawn with the mouse.

Shared by the browser tests, `bench/screenshot.py` and `bench/app_load.py`; see ../shared/NOTES.md for
the flags, selectors and waits this relies on.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",  # nothing but the page's own server resolves
]

# strokes in canvas coordinates from 0 to 1 (x right, y down); each stroke is one press of the mouse
ONE = [[(0.5, 0.15), (0.5, 0.85)]]
SEVEN = [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.85)]]
TWO = [[(0.3, 0.3), (0.4, 0.18), (0.55, 0.15), (0.68, 0.22), (0.7, 0.36), (0.6, 0.52), (0.3, 0.82), (0.74, 0.8)]]
ZERO = [[(0.5 + 0.2 * math.sin(t * math.pi / 6), 0.5 - 0.32 * math.cos(t * math.pi / 6)) for t in range(13)]]
FOUR_LEFT = [[(0.35, 0.15), (0.3, 0.55), (0.75, 0.55)]]  # drawn after ONE, the pad reads 4; undone, 1 again
# what a first-time visitor draws after a digit: letters and shapes that are none (issue 24 saw A and H read as 4)
LETTERS_AND_SHAPES = {
    "A": [[(0.2, 0.85), (0.5, 0.15), (0.8, 0.85)], [(0.32, 0.58), (0.68, 0.58)]],
    "H": [[(0.28, 0.15), (0.28, 0.85)], [(0.72, 0.15), (0.72, 0.85)], [(0.28, 0.5), (0.72, 0.5)]],
    "K": [[(0.3, 0.15), (0.3, 0.85)], [(0.72, 0.15), (0.3, 0.55)], [(0.42, 0.45), (0.74, 0.85)]],
    "smiley": [[(0.5 + 0.33 * math.sin(t * math.pi / 8), 0.5 - 0.33 * math.cos(t * math.pi / 8)) for t in range(17)],
               [(0.38, 0.4), (0.38, 0.44)], [(0.62, 0.4), (0.62, 0.44)],
               [(0.35, 0.6), (0.43, 0.68), (0.57, 0.68), (0.65, 0.6)]],
    "star": [[(0.5, 0.12), (0.72, 0.82), (0.15, 0.38), (0.85, 0.38), (0.28, 0.82), (0.5, 0.12)]],
}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """A server process started from a command line; its stderr is collected line by line."""

    def __init__(self, command: list[str], ready: str, timeout: float, cwd: Path = ROOT, env: dict | None = None):
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, env=env or {**os.environ, "NO_COLOR": "1"})
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not any(ready in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{' '.join(command)} did not start:\n" + "\n".join(self.lines))
            time.sleep(0.1)

    def _collect(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_app(*args: str, script: str = "app_gradio.py", timeout: float = 120) -> Iterator[tuple[str, App]]:
    """Start `python app_gradio.py --port FREE ARGS...`; yield (its URL, the App) once it serves."""
    port = free_port()
    app = App([sys.executable, script, "--port", str(port), *args], "page: http://", timeout)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        app.stop()


@contextmanager
def running_review(preds: Path, *args: str, timeout: float = 120) -> Iterator[tuple[str, App]]:
    """Start `python cli.py review PREDS --port FREE ARGS...`; yield (its URL, the App) once it serves."""
    port = free_port()
    app = App([sys.executable, "cli.py", "review", str(preds), "--port", str(port), *args], "review: http://", timeout)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        app.stop()


PROSE = "#progress [data-testid=markdown]"  # the position line (Gradio's hidden progress overlay sits beside it)


def shown_row(page) -> str:
    """The review page's position line ("Row 3 of 12 · ..."), once a row is on screen."""
    page.wait_for_selector(f"{PROSE} strong")
    return page.locator(PROSE).inner_text()


def press(page, *keys: str) -> int:
    """Press keys one at a time, as a person types them (a key name such as "Enter", or one character); returns how
    many keystrokes that was, and waits until the page has moved on from the row it showed."""
    before = page.locator(PROSE).inner_text()
    for key in keys:
        page.keyboard.press(key)
    page.wait_for_function(f"before => document.querySelector('{PROSE}').innerText !== before", arg=before)
    return len(keys)


def chromium(playwrights: str) -> str | None:
    """DIGITS_CHROMIUM, else Playwright's own build when installed (None), else the system's (Debian's)."""
    if os.environ.get("DIGITS_CHROMIUM"):
        return os.environ["DIGITS_CHROMIUM"]
    if Path(playwrights).exists():
        return None
    return shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


@contextmanager
def chromium_page(url: str, width: int = 1200, height: int = 900, phone: bool = False, wait_until: str = "networkidle"
                  ) -> Iterator[tuple[object, list[str]]]:
    """A Playwright page of Chromium opened at `url` (a 390x844 touch phone if `phone`); yields (page, every URL
    the page requested). `wait_until="load"` for a page whose updates stream from its first moment (the review)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(p.chromium.executable_path), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(**PHONE) if phone else browser.new_page(viewport={"width": width, "height": height})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until=wait_until)
            yield page, requests
        finally:
            browser.close()


def canvas(page, pad: str = "#sketch"):
    """A sketchpad's drawable canvas (a hidden crop canvas shares its box: not that one)."""
    return page.locator(f"{pad} .pixi-target canvas").first


def beside(*digits: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """Strokes of several digits written side by side on a wide canvas, each in its own share of the width."""
    n = len(digits)  # the wide canvas shows its drawing area with a border of the widget around it: stay inside
    return [[((k + 0.15 + 0.7 * x) / n, 0.2 + 0.6 * y) for x, y in stroke]
            for k, strokes in enumerate(digits) for stroke in strokes]


def ready(page, pad: str = "#sketch") -> dict:
    """Wait until a sketchpad is on screen with its pen on (page.js picks it, no click needed); its canvas's box."""
    pen_on = "pad => document.querySelector(`${pad} .toolbar-wrap button`)?.classList.contains('highlight')"
    page.wait_for_function(pen_on, arg=pad, timeout=60_000)
    return canvas(page, pad).bounding_box()


def on_screen(page, strokes: list[list[tuple[float, float]]], pad: str) -> list[list[tuple[float, float]]]:
    """Strokes in canvas coordinates (0-1) -> the points a hand passes through, in page pixels, once the pad is ready.

    About 6 points per stroke, on straight lines between the given ones: the pad draws straight between
    moves, and each move redraws the canvas (half a second in software rendering).
    """
    box = ready(page, pad)
    at = lambda x, y: (box["x"] + x * box["width"], box["y"] + y * box["height"])
    paths = []
    for stroke in strokes:
        n = max(1, 6 // (len(stroke) - 1))  # points per segment
        path = [at(*stroke[0])]
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            path += [at(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)]
        paths.append(path)
    return paths


def draw(page, strokes: list[list[tuple[float, float]]], pad: str = "#sketch") -> None:
    """Draw strokes on a sketchpad with the mouse, as a first-time visitor would: no tool picked first."""
    for path in on_screen(page, strokes, pad):
        page.mouse.move(*path[0])
        page.mouse.down()
        for point in path[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def touch(page, strokes: list[list[tuple[float, float]]], pad: str = "#sketch") -> None:
    """Draw strokes with a finger: real touch events (Chrome DevTools Protocol), one touch per stroke."""
    paths = on_screen(page, strokes, pad)
    cdp = page.context.new_cdp_session(page)
    send = lambda kind, point: cdp.send("Input.dispatchTouchEvent",
                                        {"type": kind, "touchPoints": [{"x": point[0], "y": point[1]}]})
    try:
        for path in paths:
            send("touchStart", path[0])
            for point in path[1:]:
                send("touchMove", point)
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def top_label(page) -> str:
    """The digit the page shows as read, or "" when none."""
    value = page.locator("#label [data-testid='label-output-value']")
    return value.inner_text().strip() if value.count() else ""


READINGS = {  # where the page shows what it read, as a JS expression
    "digit": "(document.querySelector(\"#label [data-testid='label-output-value']\")"
             " || {innerText: ''}).innerText.trim()",
    "number": "document.querySelector('#number textarea, #number input').value",
}


MESSAGES = {"digit": "#message", "number": "#number-message"}  # the reading in words, with its confidence


def wait_for_reading(page, expected: str, which: str = "digit", timeout_ms: float = 120_000,
                     quiet_ms: float = 1000) -> str:
    """Wait until the page shows `expected` as read and no new reading has come for `quiet_ms` (a reading of a
    stroke still being drawn can come first, and the finished stroke's reading after it); return the reading.

    On timeout, returns the last reading instead of raising, so the caller's assert says what was read.
    """
    try:
        page.wait_for_function(f"expected => {READINGS[which]} === expected", arg=expected, timeout=timeout_ms)
    except Exception:  # Playwright's TimeoutError: fall through to report what the page shows
        pass
    shown = f"() => [{READINGS[which]}, document.querySelector('{MESSAGES[which]}').innerText]"  # with its confidence
    last, quiet = page.evaluate(shown), 0.0
    while quiet < quiet_ms:
        page.wait_for_timeout(250)
        now = page.evaluate(shown)
        last, quiet = now, (quiet + 250 if now == last else 0.0)
    return last[0]
