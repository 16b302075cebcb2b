"""The README's pictures of the page: serve it, write with the mouse in Chromium, save screenshots.

Run: python bench/screenshot.py   (writes docs/page.png: a 2 drawn; docs/page_number.png: 170 written)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import bench.browser as b  # noqa: E402

OUT = ROOT / "docs" / "page.png"
OUT_NUMBER = ROOT / "docs" / "page_number.png"


def main() -> None:
    with b.running_app() as (url, _), b.chromium_page(url, width=1100, height=760) as (page, _):
        b.draw(page, b.TWO)
        read = b.wait_for_reading(page, "2")
        page.screenshot(path=str(OUT), full_page=True)
        page.get_by_role("tab", name="Number").click()
        b.draw(page, b.beside(b.ONE, b.SEVEN, b.ZERO), pad="#number-sketch")
        number = b.wait_for_reading(page, "170", "number")
        page.screenshot(path=str(OUT_NUMBER), full_page=True)
    print(f"wrote {OUT.relative_to(ROOT)} (the drawn 2 read as {read}) and {OUT_NUMBER.relative_to(ROOT)} "
          f"(the written 170 read as {number})")


if __name__ == "__main__":
    main()
