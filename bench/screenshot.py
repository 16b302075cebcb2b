"""The README's pictures of the page: serve it, write in Chromium as a visitor would, save screenshots.

Run: python bench/screenshot.py
Writes docs/page.png (desktop, a 2 drawn with the mouse), docs/page_not_a_digit.png (an H drawn: not a digit),
docs/page_phone.png (a 390x844 phone, a 7 drawn with a finger: the screen as the visitor sees it, no scrolling)
and docs/page_number.png (170 written); and docs/review.png: `digits review` of the bundled example scans read with
`--min-confidence 1.0` (every row flagged), two rows decided from the keyboard.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import bench.browser as b  # noqa: E402

DOCS = ROOT / "docs"


def main() -> None:
    said = []
    with b.running_app() as (url, _):
        with b.chromium_page(url, width=1100, height=760) as (page, _):
            b.draw(page, b.TWO)
            said.append(f"page.png: the drawn 2 read as {b.wait_for_reading(page, '2')}")
            page.screenshot(path=str(DOCS / "page.png"), full_page=True)
            page.locator("#clear").click()
            b.draw(page, b.LETTERS_AND_SHAPES["H"])
            said.append(f"page_not_a_digit.png: the drawn H read as {b.wait_for_reading(page, 'not a digit')}")
            page.screenshot(path=str(DOCS / "page_not_a_digit.png"), full_page=True)
            page.get_by_role("tab", name="Number").click()
            b.draw(page, b.beside(b.ONE, b.SEVEN, b.ZERO), pad="#number-sketch")
            said.append(f"page_number.png: the written 170 read as {b.wait_for_reading(page, '170', 'number')}")
            page.screenshot(path=str(DOCS / "page_number.png"), full_page=True)
        with b.chromium_page(url, phone=True) as (page, _):
            b.touch(page, b.SEVEN)
            said.append(f"page_phone.png: the 7 drawn with a finger read as {b.wait_for_reading(page, '7')}")
            page.screenshot(path=str(DOCS / "page_phone.png"), scale="css")  # the phone's screen, 390x844
    with tempfile.TemporaryDirectory() as tmp:
        preds = Path(tmp) / "preds.csv"
        subprocess.run([sys.executable, "cli.py", "batch", "examples/scans", "--out", str(preds), "-q",
                        "--min-confidence", "1.0"], cwd=ROOT, check=True)
        with b.running_review(preds) as (url, _), b.chromium_page(url, 1100, 820, wait_until="load") as (page, _):
            b.shown_row(page)
            b.press(page, "Enter")
            b.press(page, "7", "Enter")
            page.wait_for_selector("#scan img")
            page.screenshot(path=str(DOCS / "review.png"), full_page=True)
            said.append(f"review.png: {b.shown_row(page).splitlines()[0]}")
    print("wrote docs/" + "; docs/".join(said))


if __name__ == "__main__":
    main()
