"""How fast the review page moves on: from the key that decides a row to the next row on screen (its position line
and its scan shown), with more than 10,000 rows to review, in Chromium, keyboard only.

Run: python bench/review_speed.py --data ../shared/data [--repeat 5] [--rows 300]
The scans are bench/batch_speed.py's 2,319 (MNIST test and Semeion digits rendered as scans), each linked
`--repeat` times (5: 11,595 files); `batch --min-confidence 1.0` flags nearly every row. The person's keys
cycle, the same every run: Enter (accept), a digit and Enter (correct), x and Enter (not a digit), down
(skip). Each step is timed from its last key to the next row's position line and scan both on screen.
Prints the median, 95th percentile and maximum per kind of step and over all, and the keystrokes per decision.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.batch_speed import build  # noqa: E402
from bench.browser import PROSE, chromium_page, running_review, shown_row  # noqa: E402

STEPS = [("accept", ["Enter"]), ("correct", ["7", "Enter"]), ("not a digit", ["x", "Enter"]), ("skip", ["ArrowDown"])]
ON_SCREEN = f"""before => {{
  const line = document.querySelector("{PROSE}").innerText, img = document.querySelector("#scan img");
  return line !== before.line && img !== null && img.src !== before.src && img.complete && img.naturalWidth > 0;
}}"""  # the next row's position line, and its scan decoded and drawn
NOW = f"""() => ({{line: document.querySelector("{PROSE}").innerText,
                  src: (document.querySelector("#scan img") || {{src: ""}}).src}})"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=300, help="rows stepped through, timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(args.data, folder, args.repeat)
        preds = folder / "preds.csv"
        subprocess.run([sys.executable, "cli.py", "batch", str(folder / "scans"), "--out", str(preds), "-q",
                        "--min-confidence", "1.0"], cwd=ROOT, check=False)
        times: dict[str, list[float]] = {name: [] for name, _ in STEPS}
        with running_review(preds) as (url, _), chromium_page(url, wait_until="load") as (page, _):
            queue = int(shown_row(page).split(" of ")[1].split(" ")[0].replace(",", ""))
            page.wait_for_selector("#scan img")
            for k in range(args.rows):
                name, keys = STEPS[k % len(STEPS)]
                before = page.evaluate(NOW)
                for key in keys[:-1]:
                    page.keyboard.press(key)
                start = time.perf_counter()
                page.keyboard.press(keys[-1])
                page.wait_for_function(ON_SCREEN, arg=before, polling="raf")
                times[name].append(1e3 * (time.perf_counter() - start))
    every = [t for ts in times.values() for t in ts]
    print(f"rows to review: {queue:,}; steps timed: {len(every)} (Chromium, keyboard only)")
    print(f"{'step':<12} {'keys':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for (name, keys), ts in zip(STEPS, times.values(), strict=True):
        print(f"{name:<12} {len(keys):>4} {statistics.median(ts):>10.1f} {percentile(ts, 0.95):>8.1f} {max(ts):>8.1f}")
    print(f"{'all':<12} {'':>4} {statistics.median(every):>10.1f} {percentile(every, 0.95):>8.1f} {max(every):>8.1f}")
    print(f"target: next row on screen within 150 ms at the 95th percentile: "
          f"{'met' if percentile(every, 0.95) <= 150 else 'NOT met'}")


if __name__ == "__main__":
    main()
