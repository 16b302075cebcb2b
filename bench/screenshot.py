"""The README's picture of the page: serve it, draw a 2 with the mouse in Chromium, save a screenshot.

Run: python bench/screenshot.py   (writes docs/page.png)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.browser import TWO, chromium_page, draw, running_app, wait_for_new_label  # noqa: E402

OUT = ROOT / "docs" / "page.png"


def main() -> None:
    with running_app() as (url, _), chromium_page(url, width=1100, height=760) as (page, _):
        draw(page, TWO)
        read = wait_for_new_label(page)
        page.screenshot(path=str(OUT), full_page=True)
    print(f"wrote {OUT.relative_to(ROOT)} (the page read the drawn 2 as {read})")


if __name__ == "__main__":
    main()
